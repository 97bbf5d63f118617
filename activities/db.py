"""Database engine and sessions. SQLite file by default, PostgreSQL through DATABASE_URL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, Table, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, create_engine


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL lets the reports read while the worker writes; foreign keys are off by default.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        from pathlib import Path

        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True)


def dialect_insert(dialect: str, table: Table) -> Any:
    """`INSERT` of SQLite or PostgreSQL (by dialect name), the two that take the same
    `ON CONFLICT` clauses the idempotent writes use."""
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


class SessionFactory:
    """Injected into activity classes (docs/conventions.md #4): `with sessions() as s: ...`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = get_engine(url)

    @contextmanager
    def __call__(self) -> Iterator[Session]:
        with Session(self.engine) as session:
            yield session


# One upgrade at a time per process; PostgreSQL serialises processes with an advisory lock.
_UPGRADE_LOCK = threading.Lock()
_PG_MIGRATION_LOCK_KEY = 7_336_335  # arbitrary, fixed: the same for every cablecare process
_SQLITE_RETRIES = 5


def alembic_config(url: str | None = None) -> Config:
    """The Alembic configuration of the repository's `migrations/` folder, built in code."""
    from cablecare import REPO_ROOT

    cfg = Config()
    cfg.set_main_option("script_location", str(REPO_ROOT / "migrations"))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # configparser escaping
    return cfg


def init_db(url: str) -> None:
    """Bring the schema at `url` to Alembic head. Idempotent; safe to call from several
    processes at once (PostgreSQL: advisory lock; SQLite: retried when another process is
    creating the same tables at the same moment)."""
    engine = get_engine(url)
    cfg = alembic_config(url)
    with _UPGRADE_LOCK:
        for attempt in range(_SQLITE_RETRIES):
            try:
                with engine.begin() as connection:
                    if connection.dialect.name == "postgresql":
                        connection.execute(
                            text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK_KEY}
                        )
                    cfg.attributes["connection"] = connection
                    command.upgrade(cfg, "head")
                return
            except DBAPIError:
                if engine.dialect.name != "sqlite" or attempt == _SQLITE_RETRIES - 1:
                    raise
                time.sleep(0.2 * (attempt + 1))
            finally:
                cfg.attributes.pop("connection", None)
