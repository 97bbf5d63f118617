"""Messages of the `Inspection` workflow ((七)2b/2d/2e, (四)2, (五)5).

One workflow per planned inspection, ID `inspection-<inspection_id>`. An inspector (the
supervision office, the province company, or a branch for its self-inspection) plans it for an
outlet, an area or a branch, with a checklist from the supervision policy; findings are recorded
by update, each with a correction deadline; a correction is reported and verified; a finding
not corrected by its deadline escalates and can open an accountability case (R7.2).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import StringConstraints

from workflows.common import Field, Id, Message, Record, RequiredText, ShortText

WORKFLOW_NAME = "Inspection"
PLAN_WORKFLOW_NAME = "SupervisionPlan"
UPDATE_RECORD_FINDING = "record_finding"
UPDATE_REPORT_CORRECTION = "report_correction"
UPDATE_VERIFY_CORRECTION = "verify_correction"
UPDATE_COMPLETE = "complete"
QUERY_STATUS = "status"

InspectionId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,60}$")]
FindingId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,30}$")]
Month = Annotated[str, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


def workflow_id(inspection_id: str) -> str:
    return f"inspection-{inspection_id}"


def accountability_case_id(inspection_id: str, finding_id: str) -> str:
    """(七)2e one accountability case per uncorrected finding, never two."""
    return f"insp-{inspection_id}-{finding_id}"


class InspectionKind(StrEnum):
    SUPERVISION_OFFICE = "supervision_office"  # (七)2b the supervision office's own rounds
    PROVINCE = "province"  # (四)2 the province company inspects a branch
    SELF = "self"  # (五)5 a branch inspects itself


class TargetKind(StrEnum):
    OUTLET = "outlet"
    AREA = "area"
    BRANCH = "branch"


class InspectionState(StrEnum):
    PLANNED = "planned"  # findings may be recorded
    COMPLETED = "completed"  # the visit is over; corrections still running
    CLOSED = "closed"  # every finding verified or escalated


class FindingState(StrEnum):
    OPEN = "open"  # waiting for a correction
    CORRECTED = "corrected"  # correction reported, waiting for verification
    VERIFIED = "verified"  # closed
    ESCALATED = "escalated"  # not corrected by the deadline (七)2e


class InspectionInput(Message):
    inspection_id: InspectionId
    kind: InspectionKind
    inspector_id: Id
    target_kind: TargetKind
    target_id: Id
    branch_id: Id  # (四)2 the branch the target belongs to: who sees it, who is told
    period: Month
    planned_for: date
    checklist: list[str] = Field(default_factory=list)  # item codes; empty: the whole policy list


class RecordFindingUpdate(Message):
    finding_id: FindingId
    by: Id
    item: str = Field(pattern=r"^[a-z0-9-]{1,40}$")  # a checklist item code
    description: RequiredText  # what was found, without personal data
    responsible_staff_id: Id | None = None  # who must correct it; accountable if not (R6.1)


class ReportCorrectionUpdate(Message):
    finding_id: FindingId
    by: Id
    note: RequiredText


class VerifyCorrectionUpdate(Message):
    finding_id: FindingId
    by: Id
    accepted: bool
    note: ShortText = ""


class CompleteUpdate(Message):
    by: Id
    note: ShortText = ""


class ChecklistEntry(Record):
    code: str
    system: str
    text_zh: str


class InspectionContext(Record):
    """What the opening activity read: the policy's checklist and deadlines, who may verify."""

    policy_version: str
    checklist: list[ChecklistEntry]
    correction_days: int
    opens_accountability: bool
    supervisors: list[str]  # the branch's and the province's supervisors (verify, are told)


class Finding(Record):
    finding_id: str
    item: str
    system: str
    description: str
    responsible_staff_id: str | None
    recorded_by: str
    recorded_at: datetime
    due_at: datetime
    state: FindingState = FindingState.OPEN
    corrected_at: datetime | None = None
    correction_note: str | None = None
    verified_at: datetime | None = None
    verified_by: str | None = None
    rejections: int = 0
    escalated_at: datetime | None = None
    accountability_case_id: str | None = None

    @property
    def on_time(self) -> bool | None:
        if self.state != FindingState.VERIFIED or self.corrected_at is None:
            return None
        return self.corrected_at <= self.due_at


class InspectionSnapshot(Record):
    inspection_id: str
    kind: InspectionKind
    inspector_id: str
    target_kind: TargetKind
    target_id: str
    branch_id: str
    period: str
    planned_for: date
    state: InspectionState
    checklist: list[ChecklistEntry] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    completed_at: datetime | None = None


class SupervisionPlanInput(Message):
    period: Month | None = None  # default: the month of the Schedule's nominal time


class SupervisionPlanResult(Record):
    period: str
    planned: list[str]  # inspection ids of this period's plan
    created: int  # started now
    existing: int  # already planned by an earlier run (exactly once)
