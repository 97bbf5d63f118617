"""Messages of the `AccountabilityCase` workflow (CONTRACT.md, R6)."""

from __future__ import annotations

from enum import StrEnum

from cablecare.domain import AccountabilitySeverity
from cablecare.timefmt import UtcDatetime
from workflows.common import (
    AwareDatetime,
    Field,
    Id,
    Message,
    Record,
    RequiredText,
    ShortText,
)

WORKFLOW_NAME = "AccountabilityCase"
UPDATE_SUBMIT_STATEMENT = "submit_statement"
UPDATE_DECIDE = "decide"
QUERY_STATUS = "status"


def workflow_id(case_id: str) -> str:
    return f"accountability-{case_id}"


class Aggravating(StrEnum):
    """R6.6 aggravating circumstances."""

    RETALIATION = "retaliation"
    REPEAT_VIOLATIONS = "repeat_violations"  # also found automatically: 2+ in 12 months
    OBSTRUCTION = "obstruction"
    DEFIED_SUPERVISION_DECISION = "defied_supervision_decision"


class Mitigating(StrEnum):
    """R6.7 mitigating circumstances."""

    APOLOGISED_AND_FORGIVEN = "apologised_and_forgiven"
    PREVENTED_HARM = "prevented_harm"
    RECOVERED_LOSS = "recovered_loss"


class AccountabilityState(StrEnum):
    AWAITING_STATEMENT = "awaiting_statement"
    READY_FOR_DECISION = "ready_for_decision"  # statement received, or its deadline passed
    DECIDED = "decided"


class AccountabilityCaseInput(Message):
    case_id: str = Field(pattern=r"^[A-Za-z0-9-]{1,100}$")  # e.g. <request_id>-breach-1
    staff_id: Id  # the responsible staff member (R6.1)
    lead_id: Id | None = None  # the responsible lead (R6.1), e.g. the area supervisor
    request_id: Id | None = None  # the service request whose breach opened it, if any
    area_id: Id | None = None
    rule: str = Field(pattern=r"^R\d+\.\d+$", description="Rule violated, e.g. R4.3")
    violation: RequiredText  # what happened, without personal data
    opened_by: Id = "system"  # a supervisor's id when opened by hand
    occurred_at: AwareDatetime | None = None


class SubmitStatementUpdate(Message):
    staff_id: Id
    statement: RequiredText


class DecideUpdate(Message):
    supervisor_id: Id
    severity: AccountabilitySeverity
    aggravating: list[Aggravating] = Field(default_factory=list)
    mitigating: list[Mitigating] = Field(default_factory=list)
    note: ShortText = ""


class Decision(Record):
    supervisor_id: str
    requested_severity: AccountabilitySeverity
    final_severity: AccountabilitySeverity | None  # None: no sanction (R6.7 "or none")
    outcome_zh: str
    outcome_en: str
    aggravating: list[Aggravating]
    mitigating: list[Mitigating]
    note: str
    decided_at: UtcDatetime


class AccountabilityStatus(Record):
    case_id: str
    staff_id: str
    lead_id: str | None
    request_id: str | None
    rule: str
    violation: str
    state: AccountabilityState
    opened_at: UtcDatetime
    statement_due_at: UtcDatetime | None
    statement: str | None = None
    statement_at: UtcDatetime | None = None
    statement_missed: bool = False  # R6.8 deadline passed without a statement
    prior_violations: int = 0  # R6.6 in the lookback window, this case excluded
    decision: Decision | None = None
