"""Verification is a pure function of (token, key archive, workflow time) (issue 10): the
properties that make a replay give the same verdict years later, without a server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cablecare.auth.issuer import sign
from cablecare.auth.keys import EPOCH, KeyArchive, TrustedKey
from cablecare.auth.services import ServiceIdentity
from cablecare.auth.verify import ArchiveStale, TokenRefused, TokenRules, verify_token
from tests.identity_helpers import AUDIENCE, ISSUER, SigningKey

DELAY = timedelta(minutes=5)
RULES = TokenRules(
    issuer=ISSUER,
    audience=AUDIENCE,
    key_delay=DELAY,
    services={"crm": ServiceIdentity("crm", frozenset({"ServiceRequest.start"}))},
)
T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
KEY = SigningKey(kid="k1")


def archive(*keys: TrustedKey, synced_at: datetime) -> KeyArchive:
    return KeyArchive({(k.issuer, k.kid): k for k in keys}, synced_at=synced_at)


def trusted(first_seen: datetime = EPOCH, retired: datetime | None = None) -> TrustedKey:
    return TrustedKey(ISSUER, KEY.kid, KEY.jwk, first_seen_at=first_seen, retired_at=retired)


def token(subject: str = "LDR-HF", ttl: timedelta = timedelta(hours=8)) -> str:
    return sign(
        KEY.private, KEY.kid, subject=subject, issuer=ISSUER, audience=AUDIENCE, ttl=ttl, now=T0
    )


def test_an_expired_token_still_verifies_as_of_the_messages_own_time() -> None:
    """Replay a year later: `exp` is judged against workflow time, never the wall clock."""
    tok = token(ttl=timedelta(hours=1))
    year_later = archive(trusted(), synced_at=T0 + timedelta(days=365))
    actor = verify_token(tok, year_later, T0 + timedelta(minutes=30), RULES)
    assert actor.staff_id == "LDR-HF" and not actor.service
    with pytest.raises(TokenRefused, match="expired"):
        verify_token(tok, year_later, T0 + timedelta(hours=2), RULES)


def test_a_key_retired_later_still_verifies_messages_from_before_its_retirement() -> None:
    tok = token()
    after_rotation = archive(
        trusted(retired=T0 + timedelta(hours=1)), synced_at=T0 + timedelta(days=30)
    )
    assert verify_token(tok, after_rotation, T0 + timedelta(minutes=10), RULES)
    with pytest.raises(TokenRefused, match="not trusted"):
        verify_token(tok, after_rotation, T0 + timedelta(hours=1) + DELAY, RULES)


def test_a_key_first_seen_after_a_message_never_makes_that_message_valid() -> None:
    """A refusal for an unknown key stays a refusal when the key turns up later."""
    tok = token()
    at = T0 + timedelta(minutes=1)
    before = archive(synced_at=at + DELAY)
    with pytest.raises(TokenRefused, match="not trusted"):
        verify_token(tok, before, at, RULES)
    later = archive(trusted(first_seen=at + timedelta(seconds=1)), synced_at=T0 + timedelta(days=1))
    with pytest.raises(TokenRefused, match="not trusted"):
        verify_token(tok, later, at, RULES)
    assert verify_token(tok, later, at + timedelta(seconds=1) + DELAY, RULES)


def test_a_worker_with_a_stale_key_archive_does_not_decide() -> None:
    with pytest.raises(ArchiveStale):
        verify_token(token(), archive(trusted(), synced_at=T0 - 2 * DELAY), T0, RULES)


def test_a_listed_subject_is_a_service_identity() -> None:
    actor = verify_token(token("crm"), archive(trusted(), synced_at=T0), T0, RULES)
    assert actor.service and actor.staff_id == "crm" and actor.token_id
