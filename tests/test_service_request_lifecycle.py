"""The ServiceRequest lifecycle on the real server with real durations (time skipping)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from cablecare.domain import CaseState
from tests.cases import (
    AREA_TECH,
    CALLBACK_AGENT,
    COUNTER,
    new_request,
    start,
    wait_for,
)
from workflows.service_request.messages import (
    RecordCallbackUpdate,
    ReportProgressUpdate,
    ResolveUpdate,
)
from workflows.service_request.workflow import ServiceRequest

pytestmark = pytest.mark.usefixtures("worker")


async def test_r4_3_ordinary_fault_full_lifecycle_closes_after_callback(
    env: WorkflowEnvironment, worker: Worker
) -> None:
    handle = await start(env.client, new_request())
    snap = await wait_for(handle, lambda s: s.state == CaseState.ASSIGNED)
    assert snap.technician_id == AREA_TECH
    assert snap.owner_id == COUNTER
    assert snap.clock.due_at is not None and snap.clock.started_at is not None
    assert snap.clock.due_at - snap.clock.started_at == timedelta(hours=24)
    snap = await handle.execute_update(
        ServiceRequest.report_progress,
        ReportProgressUpdate(technician_id=AREA_TECH, status="on_site"),
    )
    assert snap.state == CaseState.IN_PROGRESS
    snap = await handle.execute_update(
        ServiceRequest.resolve, ResolveUpdate(by=AREA_TECH, resolution="replaced connector")
    )
    assert snap.state == CaseState.AWAITING_CALLBACK
    assert snap.callback_due_at is not None and snap.resolved_at is not None
    assert snap.callback_due_at - snap.resolved_at == timedelta(hours=72)
    snap = await handle.execute_update(
        ServiceRequest.record_callback,
        RecordCallbackUpdate(agent_id=CALLBACK_AGENT, reached=True, satisfied=True),
    )
    assert snap.state == CaseState.CLOSED
    result = await handle.result()
    assert (
        result["state"] == "closed"
        if isinstance(result, dict)
        else result.state == CaseState.CLOSED
    )
