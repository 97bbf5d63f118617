"""The whole happy path of a case through nothing but the `temporal` CLI, each message carrying
its sender's token with `--headers cablecare_actor='"<token>"'` (issue 10), against a worker
with auth required; the same command without the header is refused.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio
from temporalio.client import Client

from cablecare.auth.actor import ACTOR_HEADER
from cablecare.domain import CaseState
from tests.cases import AREA_TECH, CALLBACK_AGENT, COUNTER, URBAN_SUBSCRIBER, wait_for
from tests.conftest import temporal_binary
from tests.identity_helpers import Idp, identity_worker


@pytest_asyncio.fixture
async def idp(client: Client, tmp_path: Path) -> AsyncIterator[Idp]:
    async with identity_worker(client, tmp_path) as provider:
        yield provider


async def temporal(idp: Idp, *args: str, token: str | None) -> tuple[int, str]:
    config = idp.client.service_client.config
    command = [
        temporal_binary(),
        *args,
        "--address",
        config.target_host,
        "--namespace",
        idp.client.namespace,
    ]
    if token is not None:
        command += ["--headers", f'{ACTOR_HEADER}="{token}"']
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode()


async def update(idp: Idp, wid: str, name: str, body: dict[str, Any], token: str | None) -> str:
    code, out = await temporal(
        idp,
        "workflow",
        "update",
        "execute",
        "--workflow-id",
        wid,
        "--name",
        name,
        "--input",
        json.dumps(body),
        token=token,
    )
    assert (code == 0) == (token is not None), out
    return out


async def test_whole_case_through_the_temporal_cli_with_actor_headers(idp: Idp) -> None:
    request_id = f"CLI-{uuid.uuid4().hex[:8]}"
    wid = f"service-request-{request_id}"
    start = {
        "request_id": request_id,
        "kind": "fault",
        "subscriber_id": URBAN_SUBSCRIBER,
        "channel": "phone",
        "received_by": [{"staff_id": COUNTER, "rank": 1}],
        "description": "no signal",
    }
    code, out = await temporal(
        idp,
        "workflow",
        "start",
        "--task-queue",
        idp.queue,
        "--type",
        "ServiceRequest",
        "--workflow-id",
        wid,
        "--input",
        json.dumps(start),
        token=idp.token(COUNTER),
    )
    assert code == 0, out
    handle = idp.client.get_workflow_handle(wid)
    await wait_for(handle, lambda s: s.state == CaseState.ASSIGNED)
    progress = {"technician_id": AREA_TECH, "status": "on_site"}
    refused = await update(idp, wid, "report_progress", progress, None)
    assert "no actor token" in refused
    await update(idp, wid, "report_progress", progress, idp.token(AREA_TECH))
    resolve = {"by": AREA_TECH, "resolution": "replaced the connector"}
    await update(idp, wid, "resolve", resolve, idp.token(AREA_TECH))
    callback = {"agent_id": CALLBACK_AGENT, "reached": True, "satisfied": True}
    await update(idp, wid, "record_callback", callback, idp.token(CALLBACK_AGENT))
    final = await handle.result()
    assert final["state"] == CaseState.CLOSED.value
    actors = {e["actor_id"] for e in final["timeline"] if e.get("actor_id")}
    assert {COUNTER, AREA_TECH, CALLBACK_AGENT} <= actors
