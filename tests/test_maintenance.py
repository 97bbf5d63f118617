"""MaintenanceNotice (R9.5) on the real server with real durations (time skipping)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, select
from temporalio.client import (
    Client,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities import maintenance_activities
from activities.db import SessionFactory
from activities.directory_tables import Subscriber
from activities.duty_tables import MaintenanceDelivery, MaintenanceNoticeRecord
from activities.maintenance_activities import MaintenanceActivities
from activities.notification_tables import OutboxMessage
from activities.notifications import OutboxSender
from cablecare.domain import TASK_QUEUE, NoticeKind
from cablecare.settings import Settings
from tests.cases import settled_event_types
from workflows.maintenance import plan
from workflows.maintenance.activity_io import DeliverInput
from workflows.maintenance.messages import (
    CancelUpdate,
    ChangeUpdate,
    MaintenanceNoticeInput,
    MaintenanceNoticeStatus,
    NoticeState,
    Phase,
    workflow_id,
)
from workflows.maintenance.workflow import MaintenanceNotice

pytestmark = pytest.mark.usefixtures("worker")

AREAS = ["A-FD-02", "A-FD-03"]  # county branch, 17 + 21 sample subscribers
LEADER = "LDR-FD"
NOT_A_LEADER = "SUP-FD-02"


def notice(starts_in: timedelta, **fields: Any) -> MaintenanceNoticeInput:
    starts = datetime.now(UTC) + starts_in
    base: dict[str, Any] = {
        "notice_id": f"N-{uuid.uuid4().hex[:10]}",
        "area_ids": AREAS,
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=4),
        "kind": NoticeKind.LINE_MAINTENANCE,
        "text": "光缆割接，有线电视信号中断",
    }
    base.update(fields)
    return MaintenanceNoticeInput.model_validate(base)


async def start(client: Client, data: MaintenanceNoticeInput) -> WorkflowHandle[Any, Any]:
    return await client.start_workflow(
        MaintenanceNotice.run, data, id=workflow_id(data.notice_id), task_queue=TASK_QUEUE
    )


async def status(handle: WorkflowHandle[Any, Any]) -> MaintenanceNoticeStatus:
    return await handle.query(MaintenanceNotice.status, result_type=MaintenanceNoticeStatus)


async def wait_for(
    handle: WorkflowHandle[Any, Any],
    predicate: Callable[[MaintenanceNoticeStatus], bool],
    timeout: float = 15.0,
) -> MaintenanceNoticeStatus:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        last = await status(handle)
        if predicate(last):
            return last
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not reached; last status: {last}")
        await asyncio.sleep(0.05)


def outbox(settings: Settings, notice_id: str) -> list[OutboxMessage]:
    with SessionFactory(settings.database_url)() as session:
        rows = session.exec(
            select(OutboxMessage).where(
                col(OutboxMessage.key).startswith(f"maintenance-{notice_id}/")
            )
        ).all()
        return list(rows)


def subscribers_of(settings: Settings, areas: list[str]) -> set[str]:
    with SessionFactory(settings.database_url)() as session:
        rows = session.exec(
            select(Subscriber.subscriber_id).where(col(Subscriber.area_id).in_(areas))
        )
        return set(rows.all())


async def test_r9_5_notice_reaches_all_subscribers_24h_ahead(
    env: WorkflowEnvironment, worker_settings: Settings
) -> None:
    """Planned 3 days out: nothing before the notice time, then every subscriber by SMS and
    every area by TV caption, at least 24 h before the start; a reminder at the start."""
    data = notice(timedelta(days=3))
    handle = await start(env.client, data)
    planned = await wait_for(handle, lambda s: s.subscribers > 0)
    assert planned.notice_due_at is not None
    assert data.starts_at - planned.notice_due_at >= timedelta(hours=24)

    await env.fast_forward(handle, timedelta(hours=46, minutes=50))
    await asyncio.sleep(0.5)
    assert outbox(worker_settings, data.notice_id) == [], "nothing before the notice time"
    assert (await status(handle)).state == NoticeState.SCHEDULED

    await env.fast_forward(handle, timedelta(minutes=20))
    snap = await wait_for(handle, lambda s: s.state == NoticeState.NOTIFIED)
    told = snap.deliveries[-1]
    assert told.phase == Phase.NOTICE and told.revision == 1
    assert data.starts_at - told.at >= timedelta(hours=24), "R9.5: 24 h ahead"
    expected = subscribers_of(worker_settings, AREAS)
    sent = outbox(worker_settings, data.notice_id)
    sms = [m for m in sent if m.channel == "sms"]
    assert {m.recipient_id for m in sms} == expected and len(sms) == len(expected)
    assert sorted(m.recipient_id for m in sent if m.channel == "tv_caption") == AREAS
    assert all(m.template == "maintenance_notice" and "光缆割接" in m.body for m in sent)
    assert told.subscribers == len(expected) == snap.subscribers

    await env.fast_forward(handle, timedelta(hours=25))
    snap = await wait_for(handle, lambda s: s.state == NoticeState.IN_PROGRESS)
    assert [d.phase for d in snap.deliveries] == [Phase.NOTICE, Phase.START]
    starts = [
        m for m in outbox(worker_settings, data.notice_id) if m.template == "maintenance_start"
    ]
    assert len(starts) == len(expected) + len(AREAS)

    await env.fast_forward(handle, timedelta(hours=5))
    result = await handle.result()
    assert result.state == NoticeState.COMPLETED
    with SessionFactory(worker_settings.database_url)() as session:
        row = session.get(MaintenanceNoticeRecord, data.notice_id)
        assert row is not None and row.state == "completed" and row.notified_at is not None
        delivered = session.exec(
            select(MaintenanceDelivery).where(MaintenanceDelivery.notice_id == data.notice_id)
        ).all()
        assert len(delivered) == 2 * len(expected)  # notice + start, once each


async def test_r9_5_late_plan_is_refused_without_leader_approval(
    env: WorkflowEnvironment, worker_settings: Settings
) -> None:
    data = notice(timedelta(hours=10))
    handle = await start(env.client, data)
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "LateNotice"
    assert "24 h" in cause.message and "emergency" in cause.message
    assert outbox(worker_settings, data.notice_id) == []


async def test_r9_5_emergency_needs_a_leader_not_any_staff(
    env: WorkflowEnvironment, worker_settings: Settings
) -> None:
    data = notice(timedelta(hours=3), emergency_approved_by=NOT_A_LEADER)
    handle = await start(env.client, data)
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "NotALeader"
    assert LEADER in cause.message
    assert outbox(worker_settings, data.notice_id) == []


async def test_r9_5_leader_approved_emergency_is_announced_at_once(
    env: WorkflowEnvironment, worker_settings: Settings
) -> None:
    data = notice(timedelta(hours=3), emergency_approved_by=LEADER)
    handle = await start(env.client, data)
    snap = await wait_for(handle, lambda s: s.state == NoticeState.NOTIFIED)
    assert snap.emergency_approved_by == LEADER
    assert (
        len(outbox(worker_settings, data.notice_id))
        == len(subscribers_of(worker_settings, AREAS)) + 2
    )
    await handle.execute_update(
        MaintenanceNotice.cancel, CancelUpdate(by=LEADER, reason="天气原因")
    )
    assert (await handle.result()).state == NoticeState.CANCELLED


async def test_r9_5_change_notifies_again_and_cancel_notifies_cancellation(
    env: WorkflowEnvironment, worker_settings: Settings
) -> None:
    """Each subscriber is told once per revision; a change after the announcement is told at
    once, a cancellation too."""
    data = notice(timedelta(days=2))
    handle = await start(env.client, data)
    await wait_for(handle, lambda s: s.subscribers > 0)
    await env.fast_forward(handle, timedelta(hours=24))
    await wait_for(handle, lambda s: s.state == NoticeState.NOTIFIED)

    later = data.starts_at + timedelta(days=1)
    snap = await handle.execute_update(
        MaintenanceNotice.change,
        ChangeUpdate(by="DSP-FD", starts_at=later, ends_at=later + timedelta(hours=3)),
    )
    assert snap.revision == 2
    snap = await wait_for(handle, lambda s: s.notified_revision == 2)
    expected = subscribers_of(worker_settings, AREAS)
    sms = [m for m in outbox(worker_settings, data.notice_id) if m.channel == "sms"]
    assert len(sms) == 2 * len(expected)  # once per subscriber per revision
    changed = [m for m in sms if m.template == "maintenance_changed"]
    assert {m.recipient_id for m in changed} == expected

    # R9.5: moving the start earlier to less than 24 h away needs a leader: no trace if refused.
    events_before = len(await settled_event_types(handle))
    soon = data.starts_at - timedelta(hours=22)  # the workflow's clock is 24 h ahead now
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(
            MaintenanceNotice.change,
            ChangeUpdate(by="DSP-FD", starts_at=soon, ends_at=soon + timedelta(hours=1)),
        )
    assert "emergency" in str(refused.value.cause)
    assert len(await settled_event_types(handle)) == events_before

    await handle.execute_update(
        MaintenanceNotice.cancel, CancelUpdate(by="DSP-FD", reason="设备未到货")
    )
    result = await handle.result()
    assert result.state == NoticeState.CANCELLED
    cancelled = [
        m for m in outbox(worker_settings, data.notice_id) if m.template == "maintenance_cancelled"
    ]
    assert len(cancelled) == len(expected) + len(AREAS)
    assert all("设备未到货" in m.body for m in cancelled)


async def test_r9_5_cancel_before_the_notice_time_tells_nobody(
    env: WorkflowEnvironment, worker_settings: Settings
) -> None:
    data = notice(timedelta(days=5))
    handle = await start(env.client, data)
    await wait_for(handle, lambda s: s.subscribers > 0)
    await handle.execute_update(
        MaintenanceNotice.cancel, CancelUpdate(by="DSP-FD", reason="计划调整")
    )
    assert (await handle.result()).state == NoticeState.CANCELLED
    assert outbox(worker_settings, data.notice_id) == []


def test_r9_5_change_rules() -> None:
    now = datetime(2026, 11, 25, 8, tzinfo=UTC)
    s = MaintenanceNoticeStatus(
        notice_id="N1",
        kind=NoticeKind.LINE_MAINTENANCE,
        area_ids=AREAS,
        starts_at=now + timedelta(days=2),
        ends_at=now + timedelta(days=2, hours=4),
        text="检修",
        notified_revision=1,
        state=NoticeState.NOTIFIED,
    )
    soon = now + timedelta(hours=5)
    early = ChangeUpdate(by="DSP-FD", starts_at=soon, ends_at=soon + timedelta(hours=1))
    with pytest.raises(ValueError, match="leader must approve"):
        plan.check_change(s, early, now, [LEADER])
    with pytest.raises(ValueError, match="not a leader"):
        plan.check_change(s, early.model_copy(update={"emergency_approved_by": "X"}), now, [LEADER])
    plan.check_change(s, early.model_copy(update={"emergency_approved_by": LEADER}), now, [LEADER])
    same = ChangeUpdate(by="DSP-FD", starts_at=s.starts_at, ends_at=s.ends_at)
    with pytest.raises(ValueError, match="nothing changes"):
        plan.check_change(s, same, now, [LEADER])
    s.started = True
    with pytest.raises(ValueError, match="cannot be cancelled"):
        plan.check_cancel(s, CancelUpdate(by="DSP-FD", reason="x"))


async def test_r9_5_delivery_pages_and_sends_each_message_once(
    worker_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run the delivery activity twice with tiny pages: the second run sends nothing."""
    monkeypatch.setattr(maintenance_activities, "NOTICE_PAGE_SIZE", 4)
    sessions = SessionFactory(worker_settings.database_url)
    acts = MaintenanceActivities(sessions, OutboxSender(sessions), worker_settings)
    starts = datetime.now(UTC) + timedelta(days=2)
    data = DeliverInput(
        workflow_id="maintenance-T", notice_id=f"N-{uuid.uuid4().hex[:8]}", revision=1,
        phase=Phase.NOTICE, template="maintenance_notice", kind=NoticeKind.NEW_SERVICE,
        area_ids=AREAS, starts_at=starts, ends_at=starts + timedelta(hours=1), text="4K频道开通",
    )  # fmt: skip
    env = ActivityEnvironment()
    first = await asyncio.to_thread(env.run, acts.deliver_maintenance, data)
    second = await asyncio.to_thread(env.run, acts.deliver_maintenance, data)
    expected = subscribers_of(worker_settings, AREAS)
    assert first.new_messages == len(expected) + len(AREAS)
    assert second.new_messages == 0
    assert first.subscribers == second.subscribers == len(expected)
