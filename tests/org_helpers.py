"""Fixtures of the organisation tests: a worker of their own on a fresh database with the
sample directory plus a province supervisor ((四)2), on SQLite and PostgreSQL.

Inspection workflow ids are unique in the Temporal namespace and never reused (exactly once),
and the test server lives for the whole session: so each environment gives the sample's
companies ids of its own (`HF` -> `HF-<suffix>`), and tests read them from `branch`.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from temporalio.client import Client

from activities.db import SessionFactory, init_db
from activities.directory_load import load_directory_file
from cablecare import REPO_ROOT
from cablecare.settings import Settings
from tests.duty_helpers import DutyEnv
from worker.build import build_worker

PROVINCE_SUPERVISOR = "SUP-PROV"


@dataclass
class OrgEnv(DutyEnv):
    branch: dict[str, str] = field(default_factory=dict)  # sample id -> this test's id


def org_directory(suffix: str) -> dict[str, Any]:
    doc = json.loads((REPO_ROOT / "data" / "sample-directory.json").read_text(encoding="utf-8"))
    ids = {c["company_id"]: f"{c['company_id']}-{suffix}" for c in doc["companies"]}
    for c in doc["companies"]:
        c["company_id"] = ids[c["company_id"]]
        c["parent_id"] = ids.get(c["parent_id"]) if c["parent_id"] else None
    for o in doc["outlets"]:
        o["company_id"] = ids[o["company_id"]]
    for a in doc["areas"]:
        a["branch_id"] = ids[a["branch_id"]]
    doc["staff"].append(
        {
            "staff_id": PROVINCE_SUPERVISOR, "name": "省督查员", "rank": 7,
            "roles": ["supervisor"], "certified_roles": ["supervisor"],
            "company_id": ids["PROV"], "phone": "13800009999",
            "photo_ref": "photos/SUP-PROV.jpg",
        }
    )  # fmt: skip
    return {"doc": doc, "ids": ids}


@asynccontextmanager
async def org_environment(
    client: Client, database_url: str, tmp_path: Path
) -> AsyncIterator[OrgEnv]:
    settings = Settings(database_url=database_url, auth="off")
    init_db(database_url)
    built = org_directory(uuid.uuid4().hex[:6])
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(built["doc"], ensure_ascii=False), encoding="utf-8")
    load_directory_file(database_url, path)
    queue = f"org-{uuid.uuid4().hex[:8]}"
    async with build_worker(client, settings, task_queue=queue):
        yield OrgEnv(client, settings, SessionFactory(database_url), queue, built["ids"])


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
