"""R9.5 at the scale of a city (issue 13.10): a notice's messages go out in batches, and still
exactly one message per subscriber, phase and revision, after an activity retry and after the
worker is killed in the middle of sending."""

from __future__ import annotations

import asyncio
import json
import signal
import uuid
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import col, select
from temporalio.client import WorkflowHandle
from temporalio.testing import ActivityEnvironment

from activities import maintenance_activities
from activities.db import SessionFactory, init_db
from activities.directory_load import load_directory_file
from activities.directory_tables import Subscriber
from activities.duty_tables import MaintenanceDelivery
from activities.maintenance_activities import MaintenanceActivities
from activities.notification_tables import OutboxMessage
from activities.notifications import Notification, OutboxSender
from bench.common import prepare_app_db
from cablecare.client import connect
from cablecare.domain import TASK_QUEUE, NoticeKind
from cablecare.settings import Settings
from tests.reliability.conftest import Stack
from workflows.maintenance.activity_io import DeliverInput
from workflows.maintenance.messages import (
    MaintenanceNoticeInput,
    MaintenanceNoticeStatus,
    NoticeState,
    Phase,
    workflow_id,
)
from workflows.maintenance.workflow import MaintenanceNotice

AREA = "A-FD-02"  # a county area of the sample directory
LEADER = "LDR-FD"  # a leader of its company: may approve an emergency notice (R9.5)
SUBSCRIBERS = 3_000


def add_subscribers(url: str, tmp_path: Path, n: int = SUBSCRIBERS) -> set[str]:
    """`n` more subscribers in AREA, through the directory import."""
    rows = [
        {
            "subscriber_id": f"SUB-BATCH-{i:06d}",
            "name": f"用户{i}",
            "phone": f"139{i:08d}",
            "address": f"某路{i}号",
            "area_id": AREA,
        }
        for i in range(n)
    ]
    path = tmp_path / "more-subscribers.json"
    path.write_text(json.dumps({"subscribers": rows}, ensure_ascii=False), encoding="utf-8")
    load_directory_file(url, path)
    return area_subscribers(url)


def area_subscribers(url: str) -> set[str]:
    with SessionFactory(url)() as session:
        return set(session.exec(select(Subscriber.subscriber_id).where(Subscriber.area_id == AREA)))


def sms_per_subscriber(url: str, notice_id: str) -> Counter[str]:
    with SessionFactory(url)() as session:
        rows = session.exec(
            select(OutboxMessage.recipient_id).where(
                col(OutboxMessage.key).startswith(f"maintenance-{notice_id}/"),
                OutboxMessage.channel == "sms",
            )
        ).all()
    return Counter(rows)


def deliveries(url: str, notice_id: str) -> int:
    with SessionFactory(url)() as session:
        return int(
            session.exec(
                select(func.count())
                .select_from(MaintenanceDelivery)
                .where(MaintenanceDelivery.notice_id == notice_id)
            ).one()
        )


class CrashingSender(OutboxSender):
    """The outbox, but the process 'dies' after `batches` batches were committed."""

    def __init__(self, sessions: SessionFactory, batches: int) -> None:
        super().__init__(sessions)
        self.left = batches

    def send_many(self, notifications: Any) -> int:
        if self.left == 0:
            raise RuntimeError("worker lost in the middle of a notice")
        self.left -= 1
        return super().send_many(notifications)


def test_r9_5_notice_batches_resume_after_activity_retry_exactly_once(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A delivery that fails after two of its batches is retried from its heartbeated cursor:
    every subscriber has exactly one SMS of that revision, and the retry sent only the rest."""
    init_db(database_url)
    load_directory_file(database_url, Path(__file__).parents[1] / "data" / "sample-directory.json")
    expected = add_subscribers(database_url, tmp_path)
    assert len(expected) > SUBSCRIBERS
    monkeypatch.setattr(maintenance_activities, "NOTICE_PAGE_SIZE", 500)
    sessions = SessionFactory(database_url)
    settings = Settings(database_url=database_url)
    starts = datetime.now(UTC) + timedelta(days=2)
    data = DeliverInput(
        workflow_id="maintenance-T", notice_id=f"N-{uuid.uuid4().hex[:8]}", revision=1,
        phase=Phase.NOTICE, template="maintenance_notice", kind=NoticeKind.LINE_MAINTENANCE,
        area_ids=[AREA], starts_at=starts, ends_at=starts + timedelta(hours=4), text="光缆割接",
    )  # fmt: skip

    beats: list[Any] = []
    first = ActivityEnvironment()
    first.on_heartbeat = lambda *details: beats.append(details[0])
    crashing = MaintenanceActivities(sessions, CrashingSender(sessions, batches=2), settings)
    with pytest.raises(RuntimeError, match="worker lost"):
        first.run(crashing.deliver_maintenance, data)
    sent_before = sms_per_subscriber(database_url, data.notice_id)
    assert sum(sent_before.values()) == 2 * 500 and beats, "crashed mid-send, after 2 batches"

    retry = ActivityEnvironment()
    retry.info = replace(retry.info, attempt=2, heartbeat_details=[beats[-1]])
    acts = MaintenanceActivities(sessions, OutboxSender(sessions), settings)
    result = retry.run(acts.deliver_maintenance, data)

    sent = sms_per_subscriber(database_url, data.notice_id)
    assert set(sent) == expected and set(sent.values()) == {1}, "exactly one SMS each"
    assert result.subscribers == len(expected) == deliveries(database_url, data.notice_id)
    assert result.new_messages == len(expected) - 1000  # the caption was sent before the crash

    again = ActivityEnvironment().run(acts.deliver_maintenance, data)  # a plain second run
    assert again.new_messages == 0 and sms_per_subscriber(database_url, data.notice_id) == sent


def test_r9_5_send_many_sends_each_key_once(database_url: str) -> None:
    """The batch path of the outbox: a repeated batch, and a batch overlapping one sent message
    by message, add only the keys not yet sent."""
    init_db(database_url)
    sender = OutboxSender(SessionFactory(database_url))
    batch = [
        Notification(
            key=f"k-{uuid.uuid4().hex[:6]}-{i}",
            channel="sms",
            recipient_kind="subscriber",
            recipient_id=f"SUB-{i}",
            template="maintenance_cancelled",
            params={
                "company": "某公司",
                "hotline": "96300",
                "kind_zh": "线路维护",
                "starts_at": "2026-12-03 09:00",
                "reason": "天气",
            },
        )  # fmt: skip
        for i in range(50)
    ]
    assert sender.send(batch[0]) is True
    assert sender.send_many(batch) == 49
    assert sender.send_many(batch) == 0
    with SessionFactory(database_url)() as session:
        rows = session.exec(
            select(OutboxMessage).where(col(OutboxMessage.key).in_([n.key for n in batch]))
        ).all()
    assert len(rows) == 50 and len({r.body for r in rows}) == 1 and "天气" in rows[0].body


async def test_r9_5_notice_worker_killed_mid_send_tells_each_subscriber_once(
    tmp_path: Path,
) -> None:
    """The production worker is frozen (SIGSTOP) as soon as the first batch of a notice to a
    few thousand subscribers is in the outbox, then SIGKILLed; a new worker resumes the
    delivery. Each subscriber has exactly one SMS of the revision, each area one caption."""
    url = f"sqlite:///{tmp_path / 'cablecare.db'}"
    await asyncio.to_thread(prepare_app_db, url)
    expected = await asyncio.to_thread(add_subscribers, url, tmp_path, 6_000)
    stack = Stack(tmp_path, url)
    try:
        await stack.start_server()
        stack.start_worker()
        client = await connect(stack.address)
        await stack.wait_polling(client)
        starts = datetime.now(UTC) + timedelta(hours=3)
        data = MaintenanceNoticeInput(
            notice_id=f"N-{uuid.uuid4().hex[:8]}", area_ids=[AREA], starts_at=starts,
            ends_at=starts + timedelta(hours=2), kind=NoticeKind.LINE_MAINTENANCE,
            text="光缆割接", emergency_approved_by=LEADER,
        )  # fmt: skip
        handle: WorkflowHandle[Any, Any] = await client.start_workflow(
            MaintenanceNotice.run, data, id=workflow_id(data.notice_id), task_queue=TASK_QUEUE
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 120
        while not sms_per_subscriber(url, data.notice_id):
            assert loop.time() < deadline, "the notice never started sending\n" + stack.worker_log()
            await asyncio.sleep(0.01)
        assert stack.worker is not None
        stack.worker.send_signal(signal.SIGSTOP)  # frozen mid-send: nothing more happens
        at_kill = sum(sms_per_subscriber(url, data.notice_id).values())
        stack.kill_worker()
        assert 0 < at_kill < len(expected), f"killed mid-send ({at_kill} of {len(expected)})"

        stack.start_worker()
        # The dead attempt is retried once its heartbeat times out (30 s, the production
        # setting): waiting for that is the price of testing the real thing.
        while True:
            snap = await handle.query(MaintenanceNotice.status, result_type=MaintenanceNoticeStatus)
            if snap.state == NoticeState.NOTIFIED:
                break
            assert loop.time() < deadline + 240, "not resumed\n" + stack.worker_log()
            await asyncio.sleep(0.5)
        sent = sms_per_subscriber(url, data.notice_id)
        assert set(sent) == expected and set(sent.values()) == {1}
        assert snap.deliveries[-1].subscribers == len(expected) == deliveries(url, data.notice_id)
        await handle.terminate("test over")
    finally:
        stack.stop()
