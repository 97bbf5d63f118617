"""SIGKILL the worker while cases are mid-flight; a new worker finishes every one of them and
every database row exists exactly once per (case, step). On SQLite and on PostgreSQL.

The worker is the production command (`cablecare worker`) in its own process. The cases are
driven through the public contract with explicit update ids, so that the driver may retry a
call the dead worker never answered: Temporal deduplicates an update by its id.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle

from cablecare.client import connect
from cablecare.domain import CaseState
from starter.service_request import start_service_request
from tests.cases import AREA_TECH, CALLBACK_AGENT, new_request
from tests.reliability.checks import assert_rows_exactly_once
from tests.reliability.conftest import SIZES, Stack, retry
from workflows.service_request.messages import (
    RecordCallbackUpdate,
    ReportProgressUpdate,
    ResolveUpdate,
    Update,
)
from workflows.service_request.state import ServiceRequestSnapshot
from workflows.service_request.workflow import ServiceRequest

CASE_TIMEOUT = 240.0  # one case end to end, a worker restart included


async def drive(
    client: Client, request_id: str, progress: dict[str, int]
) -> ServiceRequestSnapshot:
    """A complete fault case: intake, assigned, on site, resolved, callback, closed."""
    request = new_request(request_id=request_id)
    handle: WorkflowHandle[Any, Any] = await retry(
        lambda: start_service_request(client, request), f"start {request_id}", timeout=CASE_TIMEOUT
    )

    async def assigned() -> None:
        snap = await handle.query(ServiceRequest.status, result_type=ServiceRequestSnapshot)
        if snap.state != CaseState.ASSIGNED:
            raise RuntimeError(f"still {snap.state}")

    await retry(assigned, f"{request_id} assigned", timeout=CASE_TIMEOUT)
    steps: list[tuple[Update, Any]] = [
        (Update.REPORT_PROGRESS, ReportProgressUpdate(technician_id=AREA_TECH, status="on_site")),
        (Update.RESOLVE, ResolveUpdate(by=AREA_TECH, resolution="re-seated the cable")),
        (
            Update.RECORD_CALLBACK,
            RecordCallbackUpdate(agent_id=CALLBACK_AGENT, reached=True, satisfied=True),
        ),
    ]
    for name, arg in steps:
        await retry(
            lambda name=name, arg=arg: handle.execute_update(
                name.value, arg, id=f"{request_id}-{name.value}", result_type=ServiceRequestSnapshot
            ),
            f"{request_id} {name}",
            timeout=CASE_TIMEOUT,
        )
        progress["updates"] += 1
    final = await retry(
        handle.result,
        f"{request_id} result",
        timeout=CASE_TIMEOUT,
    )
    progress["closed"] += 1
    return final


async def test_worker_sigkill_mid_flight_every_case_completes_rows_exactly_once(
    stack: Stack,
) -> None:
    client = await connect(stack.address)
    await stack.wait_polling(client)
    n = SIZES.worker_kill_cases
    run = uuid.uuid4().hex[:6]
    progress = {"updates": 0, "closed": 0}
    ids = [f"WK-{run}-{i}" for i in range(n)]
    cases = [asyncio.create_task(drive(client, r, progress)) for r in ids]
    try:
        # Kill once a third of the updates are through: starts, intakes, updates and their
        # local activities (database writes) are then running for most of the cases.
        deadline = time.monotonic() + 180
        while progress["updates"] < n and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        closed_at_kill = progress["closed"]
        stack.kill_worker()
        assert closed_at_kill < n, "nothing was in flight when the worker died"
        await asyncio.sleep(1.0)
        stack.start_worker()
        finals = await asyncio.wait_for(asyncio.gather(*cases), CASE_TIMEOUT + 60)
    finally:
        for task in cases:
            task.cancel()
    assert all(f.state == CaseState.CLOSED for f in finals)
    # Evidence that work was cut off: workflow tasks that timed out on the dead worker.
    interrupted = 0
    for request_id in ids:
        handle = client.get_workflow_handle(f"service-request-{request_id}")
        types = [e.event_type async for e in handle.fetch_history_events()]
        assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in types
        interrupted += EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT in types
    assert interrupted > 0, "no workflow task was in flight on the killed worker"
    counts = assert_rows_exactly_once(
        stack.database_url, {f.request_id: f.timeline[-1].seq for f in finals}
    )
    print(
        f"worker killed with {closed_at_kill}/{n} cases closed; {interrupted} cases had a "
        f"workflow task cut off; rows: {counts}"
    )
