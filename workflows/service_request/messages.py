"""Messages of the `ServiceRequest` workflow: the public contract (docs/contract.md).

Field names are the contract's; add fields, never rename. Every message is one JSON object.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, model_validator

from cablecare.domain import Channel, Kind, ProgressStatus, Severity, UnreachableReason
from workflows.common import AwareDatetime, Code, Id, Message, RequiredText, ShortText

WORKFLOW_NAME = "ServiceRequest"
SIGNAL_TECHNICIAN_UPDATE = "technician_update"
QUERY_STATUS = "status"
QUERY_CUSTOMER_VIEW = "customer_view"


def workflow_id(request_id: str) -> str:
    return f"service-request-{request_id}"


class Update(StrEnum):
    """Update names of docs/contract.md: named constants, never scattered literals."""

    SUBMIT_MATERIALS = "submit_materials"
    ACKNOWLEDGE = "acknowledge"
    REFER = "refer"
    ASSIGN = "assign"
    SCHEDULE_VISIT = "schedule_visit"
    REPORT_PROGRESS = "report_progress"
    RESOLVE = "resolve"
    REPORT_UNREACHABLE = "report_unreachable"
    REQUEST_EXTENSION = "request_extension"
    DECIDE_EXTENSION = "decide_extension"
    DECLARE_FORCE_MAJEURE = "declare_force_majeure"
    END_FORCE_MAJEURE = "end_force_majeure"
    RECORD_CALLBACK = "record_callback"
    CANCEL = "cancel"
    RECORD_TRACKING = "record_tracking"  # (五)1
    REPORT_TO_LEADER = "report_to_leader"  # (二)7 / (二)8
    ANSWER_LEADERSHIP = "answer_leadership"  # (二)7
    REPORT_NETWORK_BUILT = "report_network_built"  # (四)4


class StaffRef(Message):
    staff_id: Id
    rank: int = Field(ge=0, le=100)


class ServiceRequestInput(Message):
    request_id: Id
    kind: Kind
    severity: Severity = Severity.ORDINARY
    subscriber_id: Id
    channel: Channel
    received_by: list[StaffRef] = Field(min_length=1, max_length=20)
    description: ShortText = ""
    materials: list[Code] = Field(default_factory=list)
    received_at: AwareDatetime | None = None
    # An older request taken in by the import path: no accountability for time lost before
    # the system saw it (issue 9.4, workflows/service_request/intake.py).
    imported: bool = False


class SubmitMaterialsUpdate(Message):
    by: Id
    items: list[Code] = Field(min_length=1)


class AcknowledgeUpdate(Message):
    by: Id
    note: ShortText = ""


class ReferUpdate(Message):
    by: Id
    department: RequiredText
    contact: RequiredText  # the department's phone ((二)6 轉告有關的電話號碼)
    reason: RequiredText
    address: ShortText = ""  # (二)9 the department's address (辦事地點), told to the customer
    contacted: bool = False  # (二)6/(二)9 whether staff actually reached the department


class AssignUpdate(Message):
    by: Id
    technician_id: Id


class ScheduleVisitUpdate(Message):
    technician_id: Id
    window_start: AwareDatetime
    window_end: AwareDatetime

    @model_validator(mode="after")
    def _window(self) -> ScheduleVisitUpdate:
        if self.window_end <= self.window_start:
            raise ValueError("window_end must be after window_start")
        return self


class ReportProgressUpdate(Message):
    technician_id: Id
    status: ProgressStatus
    note: ShortText = ""


class ResolveUpdate(Message):
    by: Id
    resolution: RequiredText


class ReportUnreachableUpdate(Message):
    technician_id: Id
    reason: UnreachableReason
    report: ShortText  # R4.5: must be non-empty; checked by the validator with a clear message
    # (四)5: when the customer was found unreachable or not at home. An attempt before the
    # deadline makes the case on time even if this written report follows later.
    attempted_at: AwareDatetime | None = None


class RequestExtensionUpdate(Message):
    by: Id
    reason: RequiredText
    extra_hours: int = Field(gt=0, le=24 * 30)


class DecideExtensionUpdate(Message):
    leader_id: Id
    approved: bool
    note: ShortText = ""


class ForceMajeureUpdate(Message):
    leader_id: Id
    reason: RequiredText


class RecordCallbackUpdate(Message):
    agent_id: Id
    reached: bool
    satisfied: bool | None = None
    problem_found: bool = False
    note: ShortText = ""


class CancelUpdate(Message):
    by: Id
    reason: RequiredText


class RecordTrackingUpdate(Message):
    """(五)1: the service desk records what happened to the work order."""

    by: Id
    note: RequiredText


class LeadershipMatter(StrEnum):
    """(二)7 不清楚、掌握不確切; (二)8 把握不准或特別重大和緊急的事項."""

    UNCLEAR = "unclear"
    MAJOR = "major"
    URGENT = "urgent"


class ReportToLeaderUpdate(Message):
    by: Id
    matter: LeadershipMatter
    question: RequiredText


class AnswerLeadershipUpdate(Message):
    leader_id: Id
    question_seq: int = Field(ge=1)
    answer: RequiredText


class NetworkBuiltUpdate(Message):
    """(四)4: the network department reports that construction at the address is complete."""

    by: Id
    note: ShortText = ""


# The technician_update signal: the same payloads, tagged with `type` (docs/contract.md).
class ProgressSignal(ReportProgressUpdate):
    type: Literal["progress"]


class VisitSignal(ScheduleVisitUpdate):
    type: Literal["visit"]


class ResolveSignal(ResolveUpdate):
    type: Literal["resolve"]


class UnreachableSignal(ReportUnreachableUpdate):
    type: Literal["unreachable"]


TechnicianSignal = Annotated[
    ProgressSignal | VisitSignal | ResolveSignal | UnreachableSignal, Field(discriminator="type")
]
