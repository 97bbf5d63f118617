"""R9.5 / R9.8 fee-expiry reminders, run daily by a Schedule.

For each subscriber whose fee expires within the policy's offsets (default 15 and 3 days), the
reminder *due* is the smallest offset the days left have reached: 10 days left gives the 15-day
reminder, 2 days left the 3-day one. It is sent once per subscriber per offset per expiry date
(table `fee_reminder`, unique key; outbox keys for the messages), so a second run, a retry or a
catch-up sends nothing twice, and a day the schedule missed is made up by the next run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlmodel import Session, col, select
from temporalio import activity

from activities.db import SessionFactory
from activities.directory_tables import Subscriber
from activities.duty_common import PAGE_SIZE, contact_params, insert_ignore, is_mobile
from activities.duty_common import resume_point as _resume_point
from activities.duty_tables import FeeReminder
from activities.notifications import Channel, Notification, NotificationSender, RecipientKind
from cablecare.policy import SlaPolicy, load_policy
from cablecare.settings import Settings
from workflows.scheduled.messages import FeeRemindersResult, FeeRemindersRun

log = structlog.get_logger(__name__)

BASIC_FEE = "basic_monthly"  # the fee the reminder quotes (R1.1, R9.8)


def due_offset(days_left: int, offsets: list[int]) -> int | None:
    """The reminder due with `days_left` days to go: the smallest offset reached, if any."""
    if days_left < 0:
        return None
    reached = [o for o in offsets if days_left <= o]
    return min(reached) if reached else None


def _amounts(policy: SlaPolicy, hardship: bool) -> dict[str, str]:
    fee = next((f for f in policy.fees if f.code == BASIC_FEE), None)
    if fee is None:
        return {"amount": "-", "standard_amount": "-"}
    reduced = fee.hardship_amount_yuan if hardship else None
    amount = reduced if reduced is not None else fee.amount_yuan
    return {"amount": f"{amount:g}", "standard_amount": f"{fee.amount_yuan:g}"}


class ReminderActivities:
    def __init__(
        self, sessions: SessionFactory, sender: NotificationSender, settings: Settings
    ) -> None:
        self.sessions = sessions
        self.sender = sender
        self.settings = settings

    def activities(self) -> list[Callable[..., Any]]:
        return [self.send_fee_reminders]

    @activity.defn(name="send_fee_reminders")
    def send_fee_reminders(self, data: FeeRemindersRun) -> FeeRemindersResult:
        policy = load_policy(self.settings.policy_path)
        offsets = sorted(set(policy.fee_reminder_offsets_days))
        run_date = data.request.run_date or data.as_of.astimezone(ZoneInfo(policy.timezone)).date()
        result = FeeRemindersResult(run_date=run_date, offsets=offsets)
        if not offsets:
            return result
        last = run_date + timedelta(days=max(offsets))
        after: str = _resume_point() or ""
        reminded: Counter[int] = Counter()
        channels: Counter[str] = Counter()
        while True:
            with self.sessions() as session:
                page = session.exec(
                    select(Subscriber)
                    .where(
                        col(Subscriber.fee_expires_on) >= run_date,
                        col(Subscriber.fee_expires_on) <= last,
                        col(Subscriber.subscriber_id) > after,
                    )
                    .order_by(col(Subscriber.subscriber_id))
                    .limit(PAGE_SIZE)
                ).all()
                if not page:
                    break
                done = self._already(session, [s.subscriber_id for s in page])
                rows = []
                for sub in page:
                    assert sub.fee_expires_on is not None
                    offset = due_offset((sub.fee_expires_on - run_date).days, offsets)
                    if offset is None:
                        continue
                    if (sub.subscriber_id, offset, sub.fee_expires_on) in done:
                        result.already_reminded += 1
                        continue
                    channel = self._remind(policy, sub, offset, run_date)
                    reminded[offset] += 1
                    channels[channel.value] += 1
                    rows.append(
                        {
                            "subscriber_id": sub.subscriber_id,
                            "offset_days": offset,
                            "expires_on": sub.fee_expires_on,
                            "area_id": sub.area_id,
                            "channel": channel.value,
                            "hardship": sub.hardship,
                            "run_date": run_date,
                            "created_at": datetime.now(UTC),
                        }
                    )
                insert_ignore(session, FeeReminder, rows)
                session.commit()
                after = page[-1].subscriber_id
            activity.heartbeat(after)
        result.reminded, result.by_channel = dict(reminded), dict(channels)
        log.info(
            "fee_reminders.done",
            run_date=run_date.isoformat(),
            reminded=result.reminded,
            already=result.already_reminded,
        )
        return result

    @staticmethod
    def _already(session: Session, subscriber_ids: list[str]) -> set[tuple[str, int, date]]:
        rows = session.exec(
            select(FeeReminder).where(col(FeeReminder.subscriber_id).in_(subscriber_ids))
        ).all()
        return {(r.subscriber_id, r.offset_days, r.expires_on) for r in rows}

    def _remind(self, policy: SlaPolicy, sub: Subscriber, offset: int, run_date: date) -> Channel:
        """SMS to a mobile, otherwise a phone task for the call centre; plus a TV caption on
        the subscriber's own set-top box. Hardship households are told their tariff (R9.8)."""
        assert sub.fee_expires_on is not None
        channel = Channel.SMS if is_mobile(sub.phone) else Channel.PHONE_TASK
        template = "fee_reminder_hardship" if sub.hardship else "fee_reminder"
        params = {
            **contact_params(policy),
            **_amounts(policy, sub.hardship),
            "expires_on": sub.fee_expires_on.isoformat(),
            "days_left": str((sub.fee_expires_on - run_date).days),
        }
        key = f"fee-reminder/{sub.subscriber_id}/{sub.fee_expires_on.isoformat()}/{offset}"
        for ch in (channel, Channel.TV_CAPTION):
            self.sender.send(
                Notification(
                    key=f"{key}/{ch.value}",
                    channel=ch,
                    recipient_kind=RecipientKind.SUBSCRIBER,
                    recipient_id=sub.subscriber_id,
                    template=template,
                    params=params,
                )
            )
        return channel
