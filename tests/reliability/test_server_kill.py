"""SIGKILL the Temporal server (SQLite file, WAL) while cases wait on their deadlines; restart
it on the same file: no case is lost and every timer fires.

The deadlines are the real ones (24 h for an ordinary urban fault, its R7.3 warning before).
The cases are started with time skipping *off*, so they wait on the server's durable timers
exactly as in production; after the restart each case's own virtual clock is moved 25 hours
(`fast_forward`, per workflow, on the restarted server), which proves that the timers came
back from the file: a timer lost in the crash would never fire, whatever the clock says.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import TimeSkipper, TimeSkippingConfig

from cablecare.client import connect
from cablecare.domain import CaseState
from starter.service_request import start_service_request
from tests.cases import new_request
from tests.reliability.conftest import SIZES, Stack, retry
from workflows.service_request.state import EscalationKind, ServiceRequestSnapshot
from workflows.service_request.workflow import ServiceRequest


async def _status(handle: WorkflowHandle[Any, Any]) -> ServiceRequestSnapshot:
    return await handle.query(ServiceRequest.status, result_type=ServiceRequestSnapshot)


async def test_server_sigkill_while_cases_wait_on_timers_loses_nothing(
    sqlite_stack: Stack,
) -> None:
    stack = sqlite_stack
    skipper = TimeSkipper(await connect(stack.address), config=TimeSkippingConfig(enabled=False))
    await stack.wait_polling(skipper.client)
    run = uuid.uuid4().hex[:6]
    requests = [new_request(request_id=f"SK-{run}-{i}") for i in range(SIZES.server_kill_cases)]
    handles = [await start_service_request(skipper.client, r) for r in requests]

    async def assigned(handle: WorkflowHandle[Any, Any]) -> ServiceRequestSnapshot:
        snap = await _status(handle)
        if snap.state != CaseState.ASSIGNED or snap.clock.due_at is None:
            raise RuntimeError(f"{handle.id} still {snap.state}")
        return snap

    before = {
        h.id: await retry(lambda h=h: assigned(h), f"{h.id} assigned", timeout=60) for h in handles
    }

    stack.kill_server()
    await stack.start_server()  # same SQLite file, same ports
    if stack.worker is not None and stack.worker.poll() is not None:  # pragma: no cover
        raise AssertionError(f"the worker exited with the server:\n{stack.worker_log()}")
    skipper = TimeSkipper(await connect(stack.address), config=TimeSkippingConfig(enabled=False))
    client = skipper.client

    # No case lost: every one is still running, assigned, with the same deadline.
    for handle in handles:
        h = client.get_workflow_handle(handle.id)
        description = await retry(h.describe, f"describe {h.id}", timeout=60)
        assert description.status == WorkflowExecutionStatus.RUNNING
        snap = await retry(lambda h=h: _status(h), f"status {h.id}", timeout=60)
        assert snap.state == CaseState.ASSIGNED
        assert snap.clock.due_at == before[h.id].clock.due_at

    gate = asyncio.Semaphore(8)

    async def fast_forward(handle_id: str) -> None:
        async with gate:
            h = client.get_workflow_handle(handle_id)
            assert await asyncio.wait_for(skipper.fast_forward(h, timedelta(hours=25)), 60)

    await asyncio.gather(*(fast_forward(h.id) for h in handles))

    async def breached(handle_id: str) -> ServiceRequestSnapshot:
        snap = await _status(client.get_workflow_handle(handle_id))
        kinds = [e.kind for e in snap.escalations]
        if EscalationKind.BREACH not in kinds:
            raise RuntimeError(f"{handle_id} not breached yet: {kinds}")
        return snap

    for handle in handles:
        snap = await retry(lambda h=handle: breached(h.id), f"{handle.id} breach", timeout=60)
        due = before[handle.id].clock.due_at
        assert due is not None and snap.clock.breached
        kinds = [e.kind for e in snap.escalations]
        assert EscalationKind.WARNING in kinds, "the R7.3 warning timer fired too"
        breach = next(e for e in snap.escalations if e.kind == EscalationKind.BREACH)
        # On time on the case's own clock: the timer fires at the deadline, not later.
        assert timedelta(0) <= breach.at - due < timedelta(seconds=5), (breach.at, due)
        events = [
            e.event_type async for e in client.get_workflow_handle(handle.id).fetch_history_events()
        ]
        assert events.count(EventType.EVENT_TYPE_TIMER_FIRED) >= 2
        assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in events
