"""The archive of signing keys: every public key the workers ever trusted, never forgotten.

Why an archive and not the IdP's live JWKS: a workflow's history is replayed long after the
message arrived (a worker restart, a cache eviction). By then the IdP may have rotated its key
away. Verification is therefore a pure function of (token, this archive, workflow time): a key
is trusted for a message when the message's workflow time lies in the key's trust window, and
that window never changes once recorded. The workers fill the archive from the JWKS outside
workflow code (worker/key_sync.py) into one shared table, so every worker agrees.

The trust window of a key is [first_seen + delay, retired_at + delay): `delay` (a few minutes)
is longer than any worker may go without re-reading the archive, so that by the time a new key
(or a retirement) takes effect every live worker already knows it. A worker whose copy is older
than `delay` refuses to decide (`ArchiveStale`) instead of deciding differently from the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class TrustedKey:
    issuer: str
    kid: str
    jwk: dict[str, Any]  # the public JWK as published (never a private key)
    first_seen_at: datetime  # when a worker first archived it; EPOCH for a pinned key
    retired_at: datetime | None = None  # when it was first seen missing from the JWKS

    def trusted_at(self, now: datetime, delay: timedelta) -> bool:
        if self.first_seen_at != EPOCH and now < self.first_seen_at + delay:
            return False
        return self.retired_at is None or now < self.retired_at + delay


@dataclass(frozen=True)
class KeyArchive:
    """An immutable snapshot of the archive as one worker last read it."""

    keys: dict[tuple[str, str], TrustedKey] = field(default_factory=dict)
    synced_at: datetime = EPOCH  # wall clock just before the read: everything older is in it

    def find(self, issuer: str, kid: str) -> TrustedKey | None:
        return self.keys.get((issuer, kid))

    def fresh_for(self, now: datetime, delay: timedelta) -> bool:
        """True when this copy holds every key and retirement that takes effect by `now`."""
        return self.synced_at >= now - delay
