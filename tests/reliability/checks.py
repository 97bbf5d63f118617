"""Exactly-once checks on the application database, shared by the reliability tests."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.converter import DataConverter

from activities.case_tables import CallbackRecord, CaseEvent, WorkOrder
from activities.db import get_engine
from activities.notification_tables import OutboxMessage
from activities.notifications import Notification
from workflows.service_request.activity_io import RECORD_CASE, RecordCaseInput
from workflows.service_request.state import ServiceRequestSnapshot


def assert_rows_exactly_once(database_url: str, final_seq: dict[str, int]) -> dict[str, int]:
    """Every case's timeline step 1..last is in case_event exactly once; one work order and
    one callback record per case; every outbox key once, and every case got the same
    messages. `final_seq`: request id -> the last timeline seq of the finished case."""
    requests = list(final_seq)
    with Session(get_engine(database_url)) as session:
        orders = session.exec(
            select(WorkOrder.request_id, WorkOrder.state).where(
                col(WorkOrder.request_id).in_(requests)
            )
        ).all()
        assert sorted(r for r, _ in orders) == sorted(requests), "one work order per case"
        assert {s for _, s in orders} == {"closed"}
        seqs: dict[str, list[int]] = {r: [] for r in requests}
        for request_id, seq in session.exec(
            select(CaseEvent.request_id, CaseEvent.seq).where(
                col(CaseEvent.request_id).in_(requests)
            )
        ):
            seqs[request_id].append(seq)
        for request_id, got in seqs.items():
            assert sorted(got) == list(range(1, final_seq[request_id] + 1)), request_id
        callbacks = Counter(
            session.exec(
                select(CallbackRecord.request_id).where(
                    col(CallbackRecord.request_id).in_(requests)
                )
            ).all()
        )
        assert set(callbacks.values()) == {1} and len(callbacks) == len(requests)
        keys = session.exec(select(OutboxMessage.key)).all()
        assert len(keys) == len(set(keys)), "an outbox key twice"
        total = session.exec(select(func.count()).select_from(OutboxMessage)).one()
    # Keys are "<request>/<template>/<recipient>/<step>": every case sent the same messages.
    per_case: dict[str, list[str]] = {r: [] for r in requests}
    for key in keys:
        request_id, template, recipient, _ = key.split("/")
        if request_id in per_case:
            per_case[request_id].append(f"{template}/{recipient}")
    shapes = {tuple(sorted(v)) for v in per_case.values()}
    assert len(shapes) == 1 and shapes != {()}, f"cases sent different messages: {shapes}"
    return {
        "case_events": sum(len(v) for v in seqs.values()),
        "outbox": int(total),
        "messages_per_case": len(next(iter(shapes))),
    }


# --- content: the database says what the workflow decided (issue 9) -------------------------

# Templates that exist only because of one kind of timeline entry: a message of this template
# must point (by the step in its key) at an accepted entry of that type.
TEMPLATE_EVENT = {
    "case_resolved": "resolved",
    "case_received": "clock.started",
    "staff_assigned": "assigned",
    "complaint_acknowledged": "acknowledged",
}


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def timeline_rows(snap: ServiceRequestSnapshot) -> list[tuple[Any, ...]]:
    return [(e.seq, _utc(e.at), e.type, e.by, e.detail, e.rejected) for e in snap.timeline]


def database_rows(database_url: str, workflow_id: str) -> list[tuple[Any, ...]]:
    with Session(get_engine(database_url)) as session:
        rows = session.exec(
            select(CaseEvent).where(CaseEvent.workflow_id == workflow_id).order_by(CaseEvent.seq)
        ).all()
        return [(r.seq, _utc(r.at), r.type, r.by, r.detail, r.rejected) for r in rows]


def outbox_rows(database_url: str, request_id: str) -> list[tuple[str, str, str, str]]:
    with Session(get_engine(database_url)) as session:
        rows = session.exec(
            select(OutboxMessage).where(col(OutboxMessage.key).startswith(f"{request_id}/"))
        ).all()
        return sorted((r.key, r.template, r.recipient_id, r.body) for r in rows)


async def committed_messages(
    handle: WorkflowHandle[Any, Any], converter: DataConverter
) -> list[Notification]:
    """The messages in the inputs of the case's scheduled `record_case` activities: what the
    workflow's committed history says must be sent."""
    found: list[Notification] = []
    async for event in handle.fetch_history_events():
        if event.event_type != EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            continue
        attrs = event.activity_task_scheduled_event_attributes
        if attrs.activity_type.name != RECORD_CASE:
            continue
        (batch,) = await converter.decode(attrs.input.payloads, [RecordCaseInput])
        found.extend(batch.notifications)
    return found


async def assert_records_equal_decisions(
    client: Client, workflow_id: str, database_url: str, *, timeout: float = 60.0
) -> dict[str, int]:
    """Every case_event row equals the workflow's timeline entry at the same position (seq,
    time, type, actor, detail, rejected); every outbox message is one that the committed
    history scheduled, and points at an accepted timeline entry; none missing, none doubled.

    Waits (bounded) for the records of the last flush; a mismatch that does not go away is a
    failure with both sides shown."""
    handle = client.get_workflow_handle(workflow_id)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        snap = await handle.query("status", result_type=ServiceRequestSnapshot)
        want = timeline_rows(snap)
        got = database_rows(database_url, handle.id)
        if got == want or loop.time() > deadline:
            break
        await asyncio.sleep(0.3)
    assert want and want[0][0] == 1, f"{handle.id}: the status query lost the start of the timeline"
    assert got == want, (
        f"{handle.id}: case_event rows differ from the workflow's timeline\n"
        f"only in the database: {sorted(set(got) - set(want))}\n"
        f"only in the workflow: {sorted(set(want) - set(got))}\n"
        f"seqs in the database: {Counter(r[0] for r in got).most_common(3)}"
    )
    messages = outbox_rows(database_url, snap.request_id)
    keys = [m[0] for m in messages]
    assert len(keys) == len(set(keys)), f"{handle.id}: an outbox key twice"
    committed = await committed_messages(handle, client.data_converter)
    assert sorted(n.key for n in committed) == sorted({n.key for n in committed}), (
        f"{handle.id}: the workflow scheduled one message twice"
    )
    assert sorted(keys) == sorted(n.key for n in committed), (
        f"{handle.id}: outbox differs from the committed messages\n"
        f"extra: {sorted(set(keys) - {n.key for n in committed})}\n"
        f"missing: {sorted({n.key for n in committed} - set(keys))}"
    )
    accepted = {seq: type_ for seq, _, type_, _, _, rejected in want if not rejected}
    for key, template, _, body in messages:
        step = int(key.rsplit("/", 1)[1])
        assert step in accepted, f"{handle.id}: message {key} follows no accepted timeline entry"
        expected_type = TEMPLATE_EVENT.get(template)
        if expected_type is not None:
            assert accepted[step] == expected_type, (
                f"{handle.id}: {template} message {key} points at a {accepted[step]} entry"
            )
        assert "\x00" not in body
    return {"events": len(got), "messages": len(messages)}
