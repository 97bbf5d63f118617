"""docs/contract.md from the outside: plain JSON only, bad input, idempotent starts, bounded
history.

The plain-JSON tests use a client with Temporal's default converter and string names, as a Go
or Java team would: no project imports on that path.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlmodel import Session, func, select
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from activities.case_tables import CaseEvent
from activities.db import get_engine
from cablecare.settings import Settings
from tests.cases import (
    AREA_TECH,
    COUNTER,
    new_request,
    settled_event_types,
    start,
    status,
    wait_for,
    yesterday_in_shanghai,
)

pytestmark = pytest.mark.usefixtures("worker")

TQ = "cable-service"


@pytest.fixture
async def plain(env: WorkflowEnvironment) -> Client:
    """A client that knows nothing of this project: default JSON converter."""
    config = env.client.service_client.config
    return await Client.connect(config.target_host, namespace=env.client.namespace)


def _json_request(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "request_id": f"J-{uuid.uuid4().hex[:12]}",
        "kind": "fault",
        "severity": "ordinary",
        "subscriber_id": "SUB-000002",
        "channel": "online",
        "received_by": [{"staff_id": "CTR-HF-1", "rank": 1}],
        "description": "picture freezes",
        "materials": [],
        "received_at": yesterday_in_shanghai(9).isoformat(),
    }
    body.update(fields)
    return body


async def _wait(handle: Any, predicate: Any) -> dict[str, Any]:
    for _ in range(300):
        try:
            snap = await handle.query("status")
            if predicate(snap):
                return dict(snap)
        except Exception:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


async def _event_types(handle: Any) -> list[int]:
    return await settled_event_types(handle)


async def test_plain_json_case_runs_per_contract(plain: Client) -> None:
    body = _json_request()
    handle = await plain.start_workflow(
        "ServiceRequest", body, id=f"service-request-{body['request_id']}", task_queue=TQ
    )
    snap = await _wait(handle, lambda s: s["state"] == "assigned")
    for field in (
        "request_id",
        "kind",
        "severity",
        "state",
        "owner_id",
        "technician_id",
        "area_id",
        "missing_materials",
        "clock",
        "acknowledge_due_at",
        "callback_due_at",
        "escalations",
        "callbacks",
        "timeline",
    ):
        assert field in snap, field
    assert set(snap["clock"]) >= {"started_at", "due_at", "paused", "breached"}
    tech = snap["technician_id"]
    result = await handle.execute_update(
        "report_progress", {"technician_id": tech, "status": "on_site", "note": ""}
    )
    assert result["state"] == "in_progress"
    # a refused update explains itself and leaves no trace in history
    before = await _event_types(handle)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(
            "record_callback", {"agent_id": "CB-HF-1", "reached": True, "satisfied": True}
        )
    assert "no callback is due" in str(refused.value.cause)
    assert await _event_types(handle) == before
    # the fire-and-forget signal, tagged with its type
    await handle.signal(
        "technician_update", {"type": "resolve", "by": tech, "resolution": "re-seated cable"}
    )
    snap = await _wait(handle, lambda s: s["state"] == "awaiting_callback")
    result = await handle.execute_update(
        "record_callback",
        {
            "agent_id": "CB-HF-1",
            "reached": True,
            "satisfied": True,
            "problem_found": False,
            "note": "",
        },
    )
    assert result["state"] == "closed"
    view = await handle.query("customer_view")
    assert view["state"] == "closed" and "timeline" not in view
    final = await handle.result()
    assert final["state"] == "closed"


async def test_malformed_signal_is_recorded_as_rejected_and_never_applied(plain: Client) -> None:
    body = _json_request()
    handle = await plain.start_workflow(
        "ServiceRequest", body, id=f"service-request-{body['request_id']}", task_queue=TQ
    )
    await _wait(handle, lambda s: s["state"] == "assigned")
    await handle.signal("technician_update", {"type": "teleport", "technician_id": "T-HF-01-1"})
    await handle.signal("technician_update", "not even an object")
    await handle.signal(
        "technician_update", {"type": "resolve", "by": "T-HF-TRAINEE", "resolution": "x"}
    )
    snap = await _wait(handle, lambda s: sum(1 for e in s["timeline"] if e["rejected"]) == 3)
    assert snap["state"] == "assigned"  # nothing applied
    rejected = [e["detail"] for e in snap["timeline"] if e["rejected"]]
    assert "type" in rejected[0] and "may not resolve" in rejected[2]
    # and the workflow still works
    await handle.signal(
        "technician_update",
        {"type": "progress", "technician_id": "T-HF-01-1", "status": "accepted"},
    )
    await _wait(handle, lambda s: s["state"] == "in_progress")


async def test_bad_start_payload_fails_the_workflow_at_once_with_the_fields(plain: Client) -> None:
    body = _json_request(kind="teleport", received_by=[])
    handle = await plain.start_workflow(
        "ServiceRequest", body, id=f"service-request-{body['request_id']}", task_queue=TQ
    )
    with pytest.raises(WorkflowFailureError) as failed:
        await asyncio.wait_for(handle.result(), timeout=20)
    message = str(failed.value.cause)
    assert "kind" in message and "received_by" in message


async def test_unknown_subscriber_fails_the_workflow_with_a_clear_message(plain: Client) -> None:
    body = _json_request(subscriber_id="SUB-999999")
    handle = await plain.start_workflow(
        "ServiceRequest", body, id=f"service-request-{body['request_id']}", task_queue=TQ
    )
    with pytest.raises(WorkflowFailureError) as failed:
        await asyncio.wait_for(handle.result(), timeout=20)
    assert "unknown subscriber SUB-999999" in str(failed.value.cause)


async def test_malformed_update_payload_is_refused_with_the_field(plain: Client) -> None:
    body = _json_request()
    handle = await plain.start_workflow(
        "ServiceRequest", body, id=f"service-request-{body['request_id']}", task_queue=TQ
    )
    await _wait(handle, lambda s: s["state"] == "assigned")
    before = await _event_types(handle)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(
            "report_progress", {"technician_id": "T-HF-01-1", "status": "napping"}
        )
    assert "status" in str(refused.value.cause)
    assert await _event_types(handle) == before


async def test_second_start_of_the_same_request_is_one_case(env: WorkflowEnvironment) -> None:
    req = new_request()
    first = await start(env.client, req)
    second = await start(env.client, req)
    assert first.result_run_id == second.result_run_id
    await wait_for(second, lambda s: s.owner_id == COUNTER)


async def test_hundreds_of_updates_continue_as_new_and_lose_nothing(
    env: WorkflowEnvironment, worker_settings: Settings
) -> None:
    """History stays bounded: the case continues-as-new with its state, after its handlers."""
    req = new_request()
    handle = await start(env.client, req)
    await wait_for(handle, lambda s: s.technician_id == AREA_TECH)
    statuses = ["accepted", "en_route", "on_site", "waiting_parts"]
    first_run = env.client.get_workflow_handle(handle.id, run_id=handle.result_run_id)
    total = 0
    while total < 1_000:  # bounded: the case must continue-as-new well before this
        await asyncio.gather(
            *[
                handle.execute_update(
                    "report_progress",
                    {"technician_id": AREA_TECH, "status": statuses[i % 4], "note": f"n{i}"},
                )
                for i in range(total, total + 8)
            ]
        )
        total += 8
        if (await first_run.describe()).status.name == "CONTINUED_AS_NEW":
            break
    history = [e.event_type async for e in first_run.fetch_history_events()]
    assert history[-1] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
    assert len(history) < 1_200
    # updates after the continue-as-new reach the new run
    for i in range(16):
        await handle.execute_update(
            "report_progress", {"technician_id": AREA_TECH, "status": "on_site", "note": f"m{i}"}
        )
    total += 16
    snap = await status(env.client.get_workflow_handle(handle.id))
    assert snap.state.value == "in_progress" and snap.technician_id == AREA_TECH
    await wait_for(env.client.get_workflow_handle(handle.id), lambda s: True)
    # every update is in the database exactly once
    with Session(get_engine(worker_settings.database_url)) as session:
        for _ in range(100):
            count = session.exec(
                select(func.count())
                .select_from(CaseEvent)
                .where(
                    CaseEvent.request_id == req.request_id, CaseEvent.type.startswith("progress.")
                )  # type: ignore[attr-defined]
            ).one()
            if count == total:
                break
            await asyncio.sleep(0.1)
        assert count == total
