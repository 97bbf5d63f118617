"""Arguments of the inspection activities: one model per call (docs/conventions.md #1).

Each write is keyed on what the workflow committed: the workflow id plus the finding id and
the step's name (`recorded`, `corrected`, `verified-<n>`, `rejected-<n>`, `escalated`), never
a counter, so a discarded workflow task can leave no row behind that history does not hold
(the project's rule for effects, issue 9).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from workflows.inspection.messages import (
    Finding,
    InspectionInput,
    InspectionSnapshot,
)

OPEN_INSPECTION = "open_inspection"
RECORD_FINDING_STEP = "record_finding_step"
ESCALATE_FINDING = "escalate_finding"
RECORD_INSPECTION_STATE = "record_inspection_state"
PLAN_INSPECTIONS = "plan_inspections"


class OpenInspectionInput(BaseModel):
    workflow_id: str
    inspection: InspectionInput


class FindingStepInput(BaseModel):
    workflow_id: str
    inspection: InspectionInput
    finding: Finding
    step: str  # recorded | corrected | verified-<n> | rejected-<n>
    by: str
    at: datetime
    notify: list[str] = []  # staff to tell (the responsible person, the supervisors)


class EscalateFindingInput(BaseModel):
    workflow_id: str
    inspection: InspectionInput
    finding: Finding
    supervisors: list[str]
    open_accountability: bool


class InspectionStateInput(BaseModel):
    workflow_id: str
    snapshot: InspectionSnapshot
    at: datetime


class PlanInspectionsInput(BaseModel):
    period: str | None  # YYYY-MM; None: the month of `as_of` in the policy's time zone
    as_of: datetime
