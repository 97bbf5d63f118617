"""Fixtures of the organisation tests: a worker of their own on a fresh database with the
sample directory plus a province supervisor ((四)2), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from temporalio.client import Client

from activities.directory_load import load_directory_file
from tests.duty_helpers import DutyEnv, duty_environment

PROVINCE_SUPERVISOR = "SUP-PROV"
PROVINCE_STAFF = {
    "staff": [
        {
            "staff_id": PROVINCE_SUPERVISOR, "name": "省督查员", "rank": 7,
            "roles": ["supervisor"], "certified_roles": ["supervisor"], "company_id": "PROV",
            "phone": "13800009999", "photo_ref": "photos/SUP-PROV.jpg",
        }
    ]
}  # fmt: skip


@asynccontextmanager
async def org_environment(
    client: Client, database_url: str, tmp_path: Path
) -> AsyncIterator[DutyEnv]:
    async with duty_environment(client, database_url) as env:
        extra = tmp_path / f"province-{uuid.uuid4().hex[:6]}.json"
        extra.write_text(json.dumps(PROVINCE_STAFF, ensure_ascii=False), encoding="utf-8")
        load_directory_file(database_url, extra)
        yield env


async def until(probe: Callable[[], Awaitable[Any]], what: str, seconds: float = 20) -> Any:
    """Wait for an asynchronous effect (an activity's row); fail with what was awaited."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        got = await probe()
        if got:
            return got
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)
