"""Arguments and results of the activities the ServiceRequest workflow calls."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from activities.notifications import Notification
from cablecare.domain import CaseState, Kind, Severity
from cablecare.policy import TimeLimit
from workflows.accountability.messages import AccountabilityCaseInput
from workflows.service_request.messages import StaffRef
from workflows.service_request.state import CallbackEntry, Escalation, TimelineEntry

PREPARE_CASE = "prepare_case"
COMPUTE_DEADLINE = "compute_deadline"
RECORD_CASE = "record_case"
# Local activities of the first release, kept registered so that cases started before the
# committed-effects patch replay and finish as they began (workflow.py).
SYNC_CASE = "sync_case"
OPEN_ACCOUNTABILITY = "open_accountability_cases"


class PrepareCaseInput(BaseModel):
    request_id: str
    subscriber_id: str
    received_by: list[StaffRef]
    # Intake checks (issue 9.4, 9.5): the workflow's clock at intake, the caller's received_at
    # and import flag, and the execution that claims the request id.
    started_at: datetime | None = None
    received_at: datetime | None = None
    imported: bool = False
    workflow_id: str = ""
    first_run_id: str = ""


class DeadlineInput(BaseModel):
    """The case's own limit and time zone travel with the call: the case keeps its policy."""

    limit: TimeLimit
    timezone: str
    start: datetime


class DeadlineResult(BaseModel):
    due_at: datetime


class WorkOrderData(BaseModel):
    """The work-order row supervisors and reports read without Temporal."""

    request_id: str
    workflow_id: str
    kind: Kind
    severity: Severity
    channel: str
    subscriber_id: str
    area_id: str
    owner_id: str
    technician_id: str | None
    state: CaseState
    priority: str
    policy_version: str
    received_at: datetime
    clock_started_at: datetime | None
    due_at: datetime | None
    breached: bool
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    reopened_count: int


class SyncCaseInput(BaseModel):
    """Everything new since the last sync. `step` orders writes: an older step never wins."""

    step: int
    work_order: WorkOrderData
    events: list[TimelineEntry] = Field(default_factory=list)
    escalations: list[Escalation] = Field(default_factory=list)
    callbacks: list[CallbackEntry] = Field(default_factory=list)


class OpenAccountabilityInput(BaseModel):
    cases: list[AccountabilityCaseInput]


class RecordCaseInput(SyncCaseInput):
    """One flush of a case, as the workflow committed it: the work order, the new timeline,
    escalation and callback rows, the messages to send and the accountability cases to open.

    It travels in the ActivityTaskScheduled event of a regular activity, so its content is
    part of committed history: a workflow task that the server discards schedules nothing,
    and every retry of the activity carries the same content under the same keys."""

    notifications: list[Notification] = Field(default_factory=list)
    accountability: list[AccountabilityCaseInput] = Field(default_factory=list)


class RecordCaseResult(BaseModel):
    """How many rows were new: a retried activity finds them written and adds none."""

    events: int = 0
    escalations: int = 0
    callbacks: int = 0
    messages: int = 0
    accountability_opened: int = 0
