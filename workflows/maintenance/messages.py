"""Messages of the `MaintenanceNotice` workflow (docs/contract.md, R9.5).

Field names are the contract's; fields may be added, never renamed. Pure pydantic: the
workflow imports it through the sandbox.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from cablecare.domain import NoticeKind
from cablecare.storable import check_text
from cablecare.timefmt import DEFAULT_ZONE, UtcDatetime
from workflows.common import AwareDatetime, Id, Message, Record, RequiredText

WORKFLOW_NAME = "MaintenanceNotice"
QUERY_STATUS = "status"
MAX_REVISIONS = 20  # a plan changed more often than this is cancelled and planned anew

# An SMS and a TV caption carry it: keep it short.
NoticeText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=300),
    AfterValidator(check_text),  # storable text (issue 9.3)
]


def workflow_id(notice_id: str) -> str:
    return f"maintenance-{notice_id}"


class Update(StrEnum):
    CHANGE = "change"
    CANCEL = "cancel"


class MaintenanceNoticeInput(Message):
    """Start input. `emergency_approved_by` (a leader) allows less than the policy's lead time
    (R9.5: 24 h by default); without it such a plan is refused."""

    notice_id: Id
    area_ids: list[Id] = Field(min_length=1, max_length=500)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    kind: NoticeKind
    text: NoticeText
    planned_by: Id | None = None
    emergency_approved_by: Id | None = None

    @model_validator(mode="after")
    def _window(self) -> MaintenanceNoticeInput:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if len(set(self.area_ids)) != len(self.area_ids):
            raise ValueError("area_ids lists an area twice")
        return self


class ChangeUpdate(Message):
    """A new window and/or text: subscribers are told again, under a new revision."""

    by: Id
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    text: NoticeText | None = None  # None: keep the current text
    emergency_approved_by: Id | None = None

    @model_validator(mode="after")
    def _window(self) -> ChangeUpdate:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class CancelUpdate(Message):
    by: Id
    reason: RequiredText


class NoticeState(StrEnum):
    SCHEDULED = "scheduled"  # waiting for the notice time of the current revision
    NOTIFIED = "notified"  # every subscriber told; waiting for the start
    IN_PROGRESS = "in_progress"  # started: start reminder sent; waiting for the end
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Phase(StrEnum):
    NOTICE = "notice"  # the announcement (or, after a change, the changed announcement)
    START = "start"  # the reminder when the work starts
    CANCEL = "cancel"


class Delivery(Record):
    revision: int
    phase: Phase
    template: str
    at: UtcDatetime
    subscribers: int  # SMS, one per subscriber
    captions: int  # TV captions, one per area


class Change(Record):
    revision: int
    at: UtcDatetime
    by: str
    starts_at: UtcDatetime
    ends_at: UtcDatetime
    emergency_approved_by: str | None = None


class MaintenanceNoticeStatus(Record):
    """The `status` query: the plan as it stands and every delivery made so far."""

    notice_id: str
    kind: NoticeKind
    area_ids: list[str]
    starts_at: UtcDatetime
    ends_at: UtcDatetime
    text: str
    revision: int = 1
    state: NoticeState = NoticeState.SCHEDULED
    notice_hours: int = 24  # R9.5, from the policy at planning
    notice_due_at: UtcDatetime | None = None  # when the current revision goes out
    notified_revision: int = 0  # the newest revision every subscriber was told of
    started: bool = False
    emergency_approved_by: str | None = None
    subscribers: int = 0  # in the areas at planning time
    timezone: str = DEFAULT_ZONE  # the policy's, at planning: the zone of the UI's times
    deliveries: list[Delivery] = Field(default_factory=list)
    changes: list[Change] = Field(default_factory=list)
    cancel_requested: bool = False
    cancelled_by: str | None = None
    cancel_reason: str | None = None
