"""Fixtures for the scheduled-duty tests: a worker of their own on a fresh database.

Fee reminders and callback tasks are keyed per subscriber, so each test gets its own database
(SQLite and PostgreSQL, from `database_url`) with the sample directory, and its own task queue.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from temporalio.client import Client

from activities.db import SessionFactory, init_db
from activities.directory_load import load_directory_file
from cablecare import REPO_ROOT
from cablecare.settings import Settings
from worker.build import build_worker


@dataclass
class DutyEnv:
    client: Client
    settings: Settings
    sessions: SessionFactory
    task_queue: str


@asynccontextmanager
async def duty_environment(client: Client, database_url: str) -> AsyncIterator[DutyEnv]:
    """Each test module wraps this in a fixture: `async with duty_environment(...) as env`."""
    settings = Settings(database_url=database_url, auth="off")  # identity: tests/test_identity*
    init_db(database_url)
    load_directory_file(database_url, REPO_ROOT / "data" / "sample-directory.json")
    queue = f"duty-{uuid.uuid4().hex[:8]}"
    async with build_worker(client, settings, task_queue=queue):
        yield DutyEnv(client, settings, SessionFactory(database_url), queue)
