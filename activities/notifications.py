"""Notifications: one pluggable interface for SMS, phone tasks, TV captions and staff messages.

The default sender writes an outbox row (unique business key, so a retried activity never
sends twice) and a log line without personal data. A real SMS gateway implements
`NotificationSender` and is passed to the worker registry.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

import structlog
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from temporalio import activity

from activities.db import SessionFactory
from activities.duty_common import insert_ignore
from activities.notification_tables import OutboxMessage
from activities.templates import render

log = structlog.get_logger(__name__)


class Channel(StrEnum):
    SMS = "sms"
    PHONE_TASK = "phone_task"
    TV_CAPTION = "tv_caption"
    STAFF = "staff"  # staff work app / SMS to an employee


class RecipientKind(StrEnum):
    SUBSCRIBER = "subscriber"
    STAFF = "staff"
    AREA = "area"  # a TV caption goes to every set-top box of an area


class Notification(BaseModel):
    key: str = Field(max_length=300, description="business key: same key, sent once")
    channel: Channel
    recipient_kind: RecipientKind
    recipient_id: str
    template: str
    params: dict[str, str] = Field(default_factory=dict)


class SendNotificationsInput(BaseModel):
    notifications: list[Notification]


class NotificationSender(Protocol):
    def send(self, notification: Notification) -> bool:
        """Send once; return False when this key was already sent."""
        ...


def outbox_row(notification: Notification, now: datetime) -> OutboxMessage:
    """The outbox row of one message, its body rendered from the template."""
    return OutboxMessage(
        key=notification.key,
        channel=notification.channel.value,
        recipient_kind=notification.recipient_kind.value,
        recipient_id=notification.recipient_id,
        template=notification.template,
        params=notification.params,
        body=render(notification.template, notification.params),
        created_at=now,
    )


def add_new_messages(session: Session, notifications: list[Notification]) -> list[Notification]:
    """Add to `session` the messages whose key has no outbox row yet (one query); the caller
    commits them with the rest of its transaction. Returns the ones added."""
    by_key = {n.key: n for n in notifications}  # a key twice in one batch is one message
    if not by_key:
        return []
    have = set(
        session.exec(select(OutboxMessage.key).where(col(OutboxMessage.key).in_(list(by_key))))
    )
    new = [n for key, n in by_key.items() if key not in have]
    now = datetime.now(UTC)
    session.add_all(outbox_row(n, now) for n in new)
    return new


def log_queued(notification: Notification) -> None:
    log.info(
        "notification.queued",
        key=notification.key,
        channel=notification.channel.value,
        recipient_kind=notification.recipient_kind.value,
        recipient_id=notification.recipient_id,
        template=notification.template,
    )


@runtime_checkable
class BatchSender(Protocol):
    """A sender that can take many messages at once (a city-wide notice, issue 13.10)."""

    def send_many(self, notifications: Sequence[Notification]) -> int:
        """Send each once (keyed), in one go; return how many were new."""
        ...


class OutboxSender:
    """Default sender: an outbox row per key, plus a log line (ids only)."""

    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    def send(self, notification: Notification) -> bool:
        with self.sessions() as session:
            if not add_new_messages(session, [notification]):
                return False
            try:
                session.commit()
            except IntegrityError:  # a concurrent retry got there first
                session.rollback()
                return False
        log_queued(notification)
        return True

    def send_many(self, notifications: Sequence[Notification]) -> int:
        """Many messages in one transaction: one `INSERT ... ON CONFLICT DO NOTHING` on the
        same unique key as `send`, so a batch retried after a crash adds only what is missing.

        For a maintenance notice to 100,000 subscribers one commit per message took minutes;
        this is one commit per page (R9.5: everyone told in time). One log line per batch.
        """
        if not notifications:
            return 0
        now = datetime.now(UTC)
        bodies: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}
        rows = []
        for n in notifications:
            # The same text goes to every subscriber of a notice: render it once.
            which = (n.template, tuple(sorted(n.params.items())))
            body = bodies.get(which)
            if body is None:
                body = bodies[which] = render(n.template, n.params)
            rows.append(
                {
                    "key": n.key,
                    "channel": n.channel.value,
                    "recipient_kind": n.recipient_kind.value,
                    "recipient_id": n.recipient_id,
                    "template": n.template,
                    "params": n.params,
                    "body": body,
                    "created_at": now,
                }
            )
        with self.sessions() as session:
            new = insert_ignore(session, OutboxMessage, rows)
            session.commit()
        log.info(
            "notifications.queued",
            messages=len(rows),
            new=new,
            templates=sorted({n.template for n in notifications}),
        )
        return new


class NotificationActivities:
    def __init__(self, sender: NotificationSender) -> None:
        self.sender = sender

    @activity.defn(name="send_notifications")
    def send_notifications(self, data: SendNotificationsInput) -> int:
        """Send each notification once (keyed); returns how many were new."""
        return sum(1 for n in data.notifications if self.sender.send(n))
