"""Fill and read the signing-key archive, outside workflow code (cablecare/auth/keys.py).

Each worker fetches the IdP's JWKS (PyJWT's PyJWKClient: https:// or file://), records keys it
has not seen (first worker wins) and keys that disappeared from the JWKS (retired, once), then
reads the whole archive into an immutable snapshot that the interceptor verifies against. It
does so at start, every `auth_key_sync_seconds`, and at once when a verification asks for it.
Nothing is ever deleted: a history recorded with a retired key still replays.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select, update

from activities.db import get_engine
from activities.identity_tables import TrustedSigningKey
from cablecare.auth.jwks import fetch_jwks
from cablecare.auth.keys import EPOCH, KeyArchive, TrustedKey

log = structlog.get_logger(__name__)


def _us(moment: datetime) -> int:
    return int((moment - EPOCH) / timedelta(microseconds=1))


def _moment(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def record_keys(
    database_url: str,
    issuer: str,
    published: list[dict[str, Any]],
    *,
    now: datetime,
    pinned: bool = False,
    retire_missing: bool = True,
) -> None:
    """Archive new keys (first seen `now`, or EPOCH when the operator pins a key that has never
    signed anything yet) and retire archived keys that the JWKS no longer lists."""
    engine = get_engine(database_url)
    first_seen = 0 if pinned else _us(now)
    for key in published:
        with Session(engine) as session:
            if session.get(TrustedSigningKey, (issuer, key["kid"])) is not None:
                continue
            session.add(
                TrustedSigningKey(
                    issuer=issuer,
                    kid=key["kid"],
                    jwk=json.dumps(key, sort_keys=True),
                    first_seen_us=first_seen,
                )
            )
            try:
                session.commit()
                log.info("signing key archived", issuer=issuer, kid=key["kid"], pinned=pinned)
            except IntegrityError:
                session.rollback()  # another worker archived it first: its time stands
    if not retire_missing:
        return
    listed = [key["kid"] for key in published]
    with Session(engine) as session:
        result = session.exec(
            update(TrustedSigningKey)
            .where(col(TrustedSigningKey.issuer) == issuer)
            .where(col(TrustedSigningKey.kid).not_in(listed))
            .where(col(TrustedSigningKey.retired_us).is_(None))
            .values(retired_us=_us(now))
        )
        session.commit()
        if result.rowcount:
            log.info("signing keys retired", issuer=issuer, count=result.rowcount)


def read_archive(database_url: str) -> KeyArchive:
    synced_at = datetime.now(UTC)  # before the read: every row committed earlier is in it
    with Session(get_engine(database_url)) as session:
        rows = session.exec(select(TrustedSigningKey)).all()
    keys = {
        (row.issuer, row.kid): TrustedKey(
            issuer=row.issuer,
            kid=row.kid,
            jwk=json.loads(row.jwk),
            first_seen_at=_moment(row.first_seen_us),
            retired_at=None if row.retired_us is None else _moment(row.retired_us),
        )
        for row in rows
    }
    return KeyArchive(keys=keys, synced_at=synced_at)


class KeySync:
    """Keeps `archive` current in a daemon thread; `request()` asks for a sync now."""

    def __init__(
        self,
        database_url: str,
        issuer: str,
        jwks_url: str | None,
        *,
        every: timedelta,
        on_change: Callable[[KeyArchive], None] | None = None,
    ) -> None:
        self.database_url, self.issuer, self.jwks_url = database_url, issuer, jwks_url
        self.every = every
        self.archive = KeyArchive()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._on_change = on_change

    def sync_once(self) -> KeyArchive:
        if self.jwks_url:
            try:
                published = fetch_jwks(self.jwks_url)
                record_keys(self.database_url, self.issuer, published, now=datetime.now(UTC))
            except Exception as error:  # the IdP is down: keep what the archive holds
                log.warning("JWKS not fetched", url=self.jwks_url, error=str(error))
        self.archive = read_archive(self.database_url)
        if self._on_change is not None:
            self._on_change(self.archive)
        return self.archive

    def start(self) -> None:
        self.sync_once()
        self._thread = threading.Thread(target=self._loop, name="key-sync", daemon=True)
        self._thread.start()

    def request(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.every.total_seconds())
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.sync_once()
            except Exception as error:  # the database is down: try again next round
                log.warning("key archive not read", error=str(error))
                time.sleep(1)
