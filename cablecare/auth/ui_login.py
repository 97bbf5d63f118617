"""The codec server behind the Web UI's login (issue 10): the UI's own OIDC access token.

The Temporal UI, logged in through the operator's OIDC provider and with
`TEMPORAL_CODEC_PASS_ACCESS_TOKEN=true`, sends `Authorization: Bearer <access token>` to the
codec server. This verifies that token against the same issuer, audience and JWKS as the
workers (PyJWT; the wall clock is right here: a decode is not replayed), finds the staff member
in the directory and decodes only for staff holding a role allowed to see customer data.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import jwt

from cablecare.auth.jwks import fetch_jwks

RolesOf = Callable[[str], set[str]]


@dataclass(frozen=True)
class Denied:
    status: int  # 401: not logged in (missing/invalid token); 403: logged in, not allowed
    reason: str


class UiLogin:
    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        jwks_url: str,
        roles_of: RolesOf,
        allowed_roles: Iterable[str],
        staff_claim: str = "sub",
    ) -> None:
        self.issuer, self.audience, self.staff_claim = issuer, audience, staff_claim
        self._jwks_url = jwks_url
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._roles_of = roles_of
        self.allowed_roles = frozenset(allowed_roles)

    def check(self, token: str) -> Denied | None:
        """None when the bearer may see decoded payloads; otherwise why not. Blocking (JWKS)."""
        try:
            signing = self._key_for(jwt.get_unverified_header(token).get("kid"))
            claims = jwt.decode(
                token,
                signing.key,
                algorithms=[signing.algorithm_name],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud", self.staff_claim]},
                leeway=30,
            )
        except jwt.PyJWTError as error:
            return Denied(401, f"the access token is not valid here ({error})")
        staff_id = str(claims[self.staff_claim])
        roles = self._roles_of(staff_id)
        if not roles & self.allowed_roles:
            return Denied(403, f"staff {staff_id} has no role allowed to see customer data")
        return None

    def _key_for(self, kid: object) -> jwt.PyJWK:
        """The published key `kid`; the JWKS is fetched again at most every 30 s on a miss."""
        if not isinstance(kid, str):
            raise jwt.InvalidTokenError("the token names no key (kid)")
        stale = self._fetched_at is None or time.monotonic() - self._fetched_at > 30
        if kid not in self._keys and stale:
            self._fetched_at = time.monotonic()
            try:
                self._keys = {k["kid"]: jwt.PyJWK(k) for k in fetch_jwks(self._jwks_url)}
            except (OSError, ValueError, jwt.PyJWTError) as error:
                raise jwt.InvalidTokenError(f"the IdP's keys are unavailable ({error})") from None
        if kid not in self._keys:
            raise jwt.InvalidTokenError(f"key {kid} is not published by the IdP")
        return self._keys[kid]
