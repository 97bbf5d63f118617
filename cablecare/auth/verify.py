"""Verify an actor token: a pure function of (token, key archive, workflow time).

No wall clock, no network: `now` is the workflow's time (`workflow.now()`), the keys come from
the archive snapshot (keys.py). Replaying a history therefore gives the same answer a year later,
after the IdP rotated its key and after the token expired, because both are judged as of the
message's own time. Signatures are checked by PyJWT (`cryptography`), never by hand; only the
algorithm of the archived key is accepted, so `alg: none` or an HMAC-with-public-key token fails.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from cablecare.auth.actor import Actor
from cablecare.auth.keys import KeyArchive
from cablecare.auth.services import ServiceIdentity

LEEWAY = timedelta(seconds=30)  # clock skew between the IdP and the Temporal server


class TokenRefused(Exception):
    """The token does not prove who is acting; the message says why (never the token)."""


class ArchiveStale(Exception):
    """This worker's copy of the key archive is too old to decide the way every other worker
    would: the caller must not decide now (fail the task / ask to retry)."""


@dataclass(frozen=True)
class TokenRules:
    issuer: str
    audience: str
    key_delay: timedelta  # see keys.py
    services: Mapping[str, ServiceIdentity]
    staff_claim: str = "sub"  # the claim that holds the staff id (an IdP may use another)


def verify_token(
    token: str,
    archive: KeyArchive,
    now: datetime,
    rules: TokenRules,
    *,
    fresh_at: datetime | None = None,
) -> Actor:
    """`now` is the message's workflow time; `fresh_at` (default `now`) is the time this
    worker's archive copy must be fresh for: the caller passes the wall clock when a workflow's
    clock runs ahead of it (per-workflow time skipping), which no archive can be fresh for."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise TokenRefused(f"the actor token is not a JWT ({error})") from None
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise TokenRefused("the actor token names no signing key (kid)")
    if not archive.fresh_for(fresh_at or now, rules.key_delay):
        raise ArchiveStale(
            f"signing keys last read at {archive.synced_at.isoformat()}: too old to decide"
        )
    key = archive.find(rules.issuer, kid)
    if key is None or not key.trusted_at(now, rules.key_delay):
        raise TokenRefused(f"the actor token is signed with a key {kid} that is not trusted")
    try:
        pyjwk = jwt.PyJWK(key.jwk)
        payload_bytes = jwt.api_jws.PyJWS().decode(
            token, key=pyjwk.key, algorithms=[pyjwk.algorithm_name]
        )
    except jwt.PyJWTError as error:
        raise TokenRefused(f"the actor token's signature does not verify ({error})") from None
    try:
        claims: dict[str, Any] = json.loads(payload_bytes)
    except ValueError:
        raise TokenRefused("the actor token's claims are not JSON") from None
    return actor_from_claims(claims, now, rules)


def actor_from_claims(claims: Mapping[str, Any], now: datetime, rules: TokenRules) -> Actor:
    """The claim checks, as of `now` (the message's workflow time, never the wall clock)."""
    if claims.get("iss") != rules.issuer:
        raise TokenRefused(f"the actor token was issued by {claims.get('iss')!r}, not our IdP")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if rules.audience not in audiences:
        raise TokenRefused(f"the actor token is for audience {audience!r}, not {rules.audience}")
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if not isinstance(exp, int | float):
        raise TokenRefused("the actor token has no expiry (exp)")
    if now > datetime.fromtimestamp(exp, UTC) + LEEWAY:
        raise TokenRefused("the actor token has expired")
    if isinstance(nbf, int | float) and now < datetime.fromtimestamp(nbf, UTC) - LEEWAY:
        raise TokenRefused("the actor token is not valid yet")
    subject, token_id = claims.get(rules.staff_claim), claims.get("jti")
    if not isinstance(subject, str) or not subject:
        raise TokenRefused(f"the actor token names nobody ({rules.staff_claim})")
    if not isinstance(token_id, str) or not token_id:
        raise TokenRefused("the actor token has no token id (jti) to record")
    return Actor(staff_id=subject, token_id=token_id, service=subject in rules.services)
