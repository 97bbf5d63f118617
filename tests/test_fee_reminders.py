"""R9.5 / R9.8 fee-expiry reminders: once per subscriber per offset per expiry date."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date

import pytest_asyncio
from sqlmodel import col, select
from temporalio.client import Client

from activities.directory_tables import Subscriber
from activities.duty_tables import FeeReminder
from activities.notification_tables import OutboxMessage
from activities.reminder_activities import due_offset
from workflows.scheduled.messages import FeeRemindersInput, FeeRemindersResult
from workflows.scheduled.workflows import FeeReminders

from .duty_helpers import DutyEnv, duty_environment

OFFSETS = [15, 3]  # policy/sla-policy.toml fee_reminder_offsets_days


@pytest_asyncio.fixture
async def duty(client: Client, database_url: str) -> AsyncIterator[DutyEnv]:
    async with duty_environment(client, database_url) as env:
        yield env


async def run(env: DutyEnv, day: date) -> FeeRemindersResult:
    return await env.client.execute_workflow(
        FeeReminders.run,
        FeeRemindersInput(run_date=day),
        id=f"fee-reminders-test-{uuid.uuid4().hex[:8]}",
        task_queue=env.task_queue,
    )


def expected_reminders(env: DutyEnv, day: date) -> dict[str, int]:
    """Independently: who is due which offset on `day` (the smallest offset reached)."""
    with env.sessions() as session:
        subs = session.exec(select(Subscriber)).all()
    due = {}
    for s in subs:
        assert s.fee_expires_on is not None
        left = (s.fee_expires_on - day).days
        if 0 <= left <= 3:
            due[s.subscriber_id] = 3
        elif 3 < left <= 15:
            due[s.subscriber_id] = 15
    return due


def outbox(env: DutyEnv) -> list[OutboxMessage]:
    with env.sessions() as session:
        return list(
            session.exec(
                select(OutboxMessage).where(col(OutboxMessage.key).startswith("fee-reminder/"))
            ).all()
        )


def test_r9_5_due_offset_is_the_smallest_offset_reached() -> None:
    assert due_offset(20, OFFSETS) is None
    assert due_offset(15, OFFSETS) == 15
    assert due_offset(10, OFFSETS) == 15
    assert due_offset(3, OFFSETS) == 3
    assert due_offset(0, OFFSETS) == 3
    assert due_offset(-1, OFFSETS) is None


async def test_r9_5_reminders_sent_exactly_once_per_offset_when_the_schedule_runs_twice(
    duty: DutyEnv,
) -> None:
    env = duty
    day = date(2026, 11, 25)
    expected = expected_reminders(env, day)
    assert expected, "the sample directory has fees expiring in the window"

    first = await run(env, day)
    second = await run(env, day)  # the schedule fires twice, or an operator reruns it
    assert first.reminded == dict(Counter(expected.values()))
    assert second.reminded == {} and second.already_reminded == len(expected)

    with env.sessions() as session:
        rows = session.exec(select(FeeReminder)).all()
    assert {r.subscriber_id: r.offset_days for r in rows} == expected
    messages = outbox(env)
    assert len(messages) == 2 * len(expected)  # SMS + TV caption each, once
    assert Counter(m.channel for m in messages) == {
        "sms": len(expected),
        "tv_caption": len(expected),
    }

    # Three days later the 3-day reminders fall due; nobody gets a second 15-day one.
    later = date(2026, 11, 28)
    third = await run(env, later)
    due_later = expected_reminders(env, later)
    new_threes = {s for s, o in due_later.items() if o == 3 and expected.get(s) != 3}
    new_fifteens = {s for s, o in due_later.items() if o == 15 and s not in expected}
    assert third.reminded.get(3, 0) == len(new_threes)
    assert third.reminded.get(15, 0) == len(new_fifteens)
    with env.sessions() as session:
        rows = session.exec(select(FeeReminder)).all()
    per_key = Counter((r.subscriber_id, r.offset_days, r.expires_on) for r in rows)
    assert set(per_key.values()) == {1}


async def test_r9_8_hardship_households_are_told_their_reduced_tariff(duty: DutyEnv) -> None:
    env = duty
    day = date(2026, 11, 25)
    await run(env, day)
    with env.sessions() as session:
        hardship = {
            s.subscriber_id
            for s in session.exec(select(Subscriber).where(col(Subscriber.hardship).is_(True)))
        }
    messages = outbox(env)
    told = [m for m in messages if m.recipient_id in hardship]
    assert told, "a hardship household's fee expires in the window"
    assert all(m.template == "fee_reminder_hardship" for m in told)
    assert all("13" in m.body and "困难家庭" in m.body for m in told)  # 13 yuan instead of 26
    others = [m for m in messages if m.recipient_id not in hardship]
    assert all(m.template == "fee_reminder" and "26" in m.body for m in others)


async def test_r9_5_a_landline_gets_a_phone_task_instead_of_an_sms(duty: DutyEnv) -> None:
    env = duty
    day = date(2026, 11, 25)
    target = sorted(expected_reminders(env, day))[0]
    with env.sessions() as session:
        sub = session.get(Subscriber, target)
        assert sub is not None
        sub.phone = "0551-65001234"
        session.add(sub)
        session.commit()
    result = await run(env, day)
    assert result.by_channel.get("phone_task") == 1
    channels = {m.channel for m in outbox(env) if m.recipient_id == target}
    assert channels == {"phone_task", "tv_caption"}
