"""Activities of the MaintenanceNotice workflow (R9.5): plan, deliver in pages, record.

Every message has a business key (`maintenance-<notice_id>/<rev>/<subscriber_id>/sms` for the
announcement), every delivery row a unique key, so a retried activity sends nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import func
from sqlmodel import Session, col, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.db import SessionFactory
from activities.directory_queries import get_area, get_staff, staff_with_role
from activities.directory_tables import Subscriber
from activities.duty_common import (
    contact_params,
    insert_ignore,
    local_text,
    resume_point,
)
from activities.duty_tables import MaintenanceDelivery, MaintenanceNoticeRecord
from activities.notifications import (
    BatchSender,
    Channel,
    Notification,
    NotificationSender,
    RecipientKind,
)
from activities.templates import NOTICE_KIND_ZH
from cablecare.domain import Role
from cablecare.failures import ErrorType
from cablecare.policy import current_policy
from cablecare.settings import Settings
from workflows.maintenance.activity_io import (
    DELIVER_MAINTENANCE,
    PREPARE_MAINTENANCE,
    RECORD_MAINTENANCE,
    DeliverInput,
    DeliverResult,
    PrepareMaintenanceInput,
    PrepareMaintenanceResult,
    RecordMaintenanceInput,
)
from workflows.maintenance.messages import Phase

log = structlog.get_logger(__name__)

# Subscribers per page of a notice: one query, one outbox batch, one commit and one heartbeat
# per page. 1,000 keeps a statement well under SQLite's and PostgreSQL's parameter limits.
NOTICE_PAGE_SIZE = 1000


def message_key(data: DeliverInput, recipient: str, channel: Channel) -> str:
    """The announcement keeps the short key; start reminders and cancellations name their phase."""
    base = f"maintenance-{data.notice_id}/{data.revision}"
    if data.phase == Phase.NOTICE:
        return f"{base}/{recipient}/{channel.value}"
    return f"{base}/{data.phase.value}/{recipient}/{channel.value}"


def _subscriber_id_pages(session: Session, area_id: str, after: str) -> Iterator[list[str]]:
    """The ids of an area's subscribers, by id, a page at a time, starting after `after`.

    Ids only: a notice needs nobody's name or phone here (the gateway looks them up), and
    loading whole rows as objects cost more than sending (100,000 subscribers, 13.10)."""
    while True:
        page = list(
            session.exec(
                select(Subscriber.subscriber_id)
                .where(Subscriber.area_id == area_id, col(Subscriber.subscriber_id) > after)
                .order_by(col(Subscriber.subscriber_id))
                .limit(NOTICE_PAGE_SIZE)
            ).all()
        )
        if not page:
            return
        yield page
        after = page[-1]


class MaintenanceActivities:
    def __init__(
        self, sessions: SessionFactory, sender: NotificationSender, settings: Settings
    ) -> None:
        self.sessions = sessions
        self.sender = sender
        self.settings = settings

    def activities(self) -> list[Callable[..., Any]]:
        return [self.prepare_maintenance, self.deliver_maintenance, self.record_maintenance]

    @activity.defn(name=PREPARE_MAINTENANCE)
    def prepare_maintenance(self, data: PrepareMaintenanceInput) -> PrepareMaintenanceResult:
        """R9.5: the areas exist, the lead time comes from the policy, and an emergency is
        approved by a leader of the companies concerned (checked against the directory)."""
        notice = data.notice
        policy = current_policy(self.settings.policy_path)
        with self.sessions() as session:
            areas = [get_area(session, a) for a in notice.area_ids]
            unknown = [a for a, row in zip(notice.area_ids, areas, strict=True) if row is None]
            if unknown:
                raise ApplicationError(
                    f"unknown area(s) {', '.join(unknown)}: not in the directory",
                    type="UnknownArea",
                    non_retryable=True,
                )
            companies = {row.company for row in areas if row is not None}
            leaders = sorted(
                {
                    s.staff_id
                    for c in companies
                    for s in staff_with_role(session, Role.LEADER, company=c)
                }
            )
            # Verified identity is not enough to plan: the planner is the operator's staff
            # (any token of the provider would otherwise announce outages to subscribers).
            if notice.planned_by is not None and get_staff(session, notice.planned_by) is None:
                raise ApplicationError(
                    f"planned_by {notice.planned_by} is not in the staff directory: only the "
                    "operator's staff plan maintenance (R9.5)",
                    type=ErrorType.NOT_PERMITTED.value,
                    non_retryable=True,
                )
            approver = notice.emergency_approved_by
            if approver is not None and approver not in leaders:
                known = get_staff(session, approver) is not None
                raise ApplicationError(
                    f"emergency_approved_by {approver} "
                    + (
                        "is not a leader of the companies concerned"
                        if known
                        else "is not in the staff directory"
                    )
                    + f"; an emergency needs one of: {', '.join(leaders) or 'none on record'}",
                    type="NotALeader",
                    non_retryable=True,
                )
            subscribers = session.exec(
                select(func.count())
                .select_from(Subscriber)
                .where(col(Subscriber.area_id).in_(notice.area_ids))
            ).one()
        return PrepareMaintenanceResult(
            notice_hours=policy.maintenance_notice_hours,
            leaders=leaders,
            subscribers=int(subscribers),
            timezone=policy.timezone,
        )

    @activity.defn(name=DELIVER_MAINTENANCE)
    def deliver_maintenance(self, data: DeliverInput) -> DeliverResult:
        """Tell every area (TV caption) and every subscriber (SMS) once, a page at a time.

        The cursor (area index, last subscriber id) is heartbeated: a retry resumes there, and
        the outbox keys make the overlap a no-op.
        """
        policy = current_policy(self.settings.policy_path)
        params = {
            **contact_params(policy),
            "kind": data.kind.value,
            "kind_zh": NOTICE_KIND_ZH.get(data.kind.value, data.kind.value),
            "starts_at": local_text(data.starts_at, policy.timezone),
            "ends_at": local_text(data.ends_at, policy.timezone),
            "text": data.text.rstrip("。."),
            "reason": data.reason,
        }
        start_area, after = resume_point() or (0, "")
        new = captions = 0
        for index, area_id in enumerate(data.area_ids):
            if index < start_area:
                continue
            new += self._send(data, RecipientKind.AREA, area_id, Channel.TV_CAPTION, params)
            captions += 1
            with self.sessions() as session:
                for page in _subscriber_id_pages(
                    session, area_id, after if index == start_area else ""
                ):
                    now = datetime.now(UTC)
                    new += self._send_page(data, page, params)
                    insert_ignore(
                        session,
                        MaintenanceDelivery,
                        [
                            {
                                "notice_id": data.notice_id,
                                "revision": data.revision,
                                "phase": data.phase.value,
                                "subscriber_id": sub,
                                "area_id": area_id,
                                "at": now,
                            }
                            for sub in page
                        ],
                    )
                    session.commit()
                    activity.heartbeat((index, page[-1]))
        with self.sessions() as session:
            reached = session.exec(
                select(func.count())
                .select_from(MaintenanceDelivery)
                .where(
                    MaintenanceDelivery.notice_id == data.notice_id,
                    MaintenanceDelivery.revision == data.revision,
                    MaintenanceDelivery.phase == data.phase.value,
                )
            ).one()
        log.info(
            "maintenance.delivered",
            notice_id=data.notice_id,
            revision=data.revision,
            phase=data.phase.value,
            subscribers=int(reached),
            new_messages=new,
        )
        return DeliverResult(
            subscribers=int(reached), captions=len(data.area_ids), new_messages=new
        )

    def _send(
        self,
        data: DeliverInput,
        kind: RecipientKind,
        recipient: str,
        channel: Channel,
        params: dict[str, str],
    ) -> int:
        sent = self.sender.send(
            Notification(
                key=message_key(data, recipient, channel),
                channel=channel,
                recipient_kind=kind,
                recipient_id=recipient,
                template=data.template,
                params=params,
            )
        )
        return int(sent)

    def _send_page(
        self, data: DeliverInput, subscriber_ids: list[str], params: dict[str, str]
    ) -> int:
        """One page of SMS in one batch when the sender can (OutboxSender: one transaction per
        page, 13.10), one at a time otherwise (e.g. a gateway that only has `send`). The keys
        are those of `_send`: one message per subscriber, phase and revision."""
        notifications = [
            Notification(
                key=message_key(data, sub, Channel.SMS),
                channel=Channel.SMS,
                recipient_kind=RecipientKind.SUBSCRIBER,
                recipient_id=sub,
                template=data.template,
                params=params,
            )
            for sub in subscriber_ids
        ]
        if isinstance(self.sender, BatchSender):
            return self.sender.send_many(notifications)
        return sum(1 for n in notifications if self.sender.send(n))

    @activity.defn(name=RECORD_MAINTENANCE)
    def record_maintenance(self, data: RecordMaintenanceInput) -> None:
        """Upsert the notice row supervisors and reports read (the workflow's latest state)."""
        s = data.status
        with self.sessions() as session:
            row = session.get(MaintenanceNoticeRecord, s.notice_id) or MaintenanceNoticeRecord(
                notice_id=s.notice_id,
                workflow_id=data.workflow_id,
                kind=s.kind.value,
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                text=s.text,
                state=s.state.value,
                notice_due_at=s.notice_due_at or s.starts_at,
                updated_at=data.at,
            )
            if row.revision > s.revision or (
                row.revision == s.revision and row.updated_at > data.at
            ):
                return  # an older write arriving late never wins
            row.kind, row.area_ids, row.text = s.kind.value, list(s.area_ids), s.text
            row.starts_at, row.ends_at, row.revision = s.starts_at, s.ends_at, s.revision
            row.state, row.emergency_approved_by = s.state.value, s.emergency_approved_by
            row.notice_due_at = s.notice_due_at or s.starts_at
            notices = [d for d in s.deliveries if d.phase == Phase.NOTICE]
            row.notified_at = notices[-1].at if notices else None
            row.cancel_reason, row.updated_at = s.cancel_reason, data.at
            session.add(row)
            session.commit()
