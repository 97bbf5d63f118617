"""Arguments and results of the maintenance activities (internal, not part of docs/contract.md)."""

from __future__ import annotations

from datetime import datetime

from cablecare.domain import NoticeKind
from cablecare.timefmt import DEFAULT_ZONE
from workflows.common import Record
from workflows.maintenance.messages import MaintenanceNoticeInput, MaintenanceNoticeStatus, Phase

PREPARE_MAINTENANCE = "prepare_maintenance"
DELIVER_MAINTENANCE = "deliver_maintenance"
RECORD_MAINTENANCE = "record_maintenance"


class PrepareMaintenanceInput(Record):
    notice: MaintenanceNoticeInput


class PrepareMaintenanceResult(Record):
    """Read once at planning and kept in history: a later policy change never moves it."""

    notice_hours: int  # R9.5
    leaders: list[str]  # who may approve an emergency (R9.5 with R4.6's leader role)
    subscribers: int
    # The policy's zone, for the times staff read (13.6); absent in histories from before.
    timezone: str = DEFAULT_ZONE


class DeliverInput(Record):
    """One phase of one revision to every subscriber and every area; paged inside."""

    workflow_id: str
    notice_id: str
    revision: int
    phase: Phase
    template: str
    kind: NoticeKind
    area_ids: list[str]
    starts_at: datetime
    ends_at: datetime
    text: str
    reason: str = ""


class DeliverResult(Record):
    subscribers: int
    # The policy's zone, for the times staff read (13.6); absent in histories from before.
    timezone: str = DEFAULT_ZONE
    captions: int
    new_messages: int  # 0 when a retry found everything already sent


class RecordMaintenanceInput(Record):
    workflow_id: str
    status: MaintenanceNoticeStatus
    at: datetime
