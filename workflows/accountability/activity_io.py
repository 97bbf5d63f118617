"""Arguments and results of the accountability activities (internal, not part of docs/contract.md).

Pure pydantic: the workflow imports it through the sandbox, the activities import it directly.
"""

from __future__ import annotations

from datetime import datetime

from cablecare.policy import AccountabilityOutcome
from workflows.accountability.messages import AccountabilityCaseInput, Decision, PartyRole
from workflows.common import Field, Record


class OpenCaseInput(Record):
    workflow_id: str
    case: AccountabilityCaseInput
    opened_at: datetime  # the workflow's start time: deterministic, the same on every retry
    # The start was sent by a verified person (not a service): R7.2 they must be one who may open
    # a case by hand (cablecare.domain.HAND_OPENERS). False for cases started before this check.
    opened_by_person: bool = False


class OpenCaseResult(Record):
    """What the case needs from the policy, the calendar and the directory, read once at
    opening and kept in history, so a later policy or directory change never alters it."""

    policy_version: str
    statement_working_days: int  # R6.8
    statement_due_at: datetime  # R6.8, in the operator's local time
    prior_violations: int  # R6.6, this case excluded
    aggravating_violation_count: int  # R6.6 threshold
    supervisors: list[str]  # (六)4: who may decide the post holder's case
    outcomes: list[AccountabilityOutcome]  # R6.5
    # (六)5: the responsible lead, heard and decided separately ((六)4 their own deciders).
    lead_prior_violations: int = 0
    lead_deciders: list[str] = Field(default_factory=list)


class RecordStatementInput(Record):
    case_id: str
    statement: str | None = None
    statement_at: datetime | None = None
    statement_missed: bool = False  # R6.8
    token_id: str | None = None  # issue 10: the verified staff member's token id (jti)
    role: PartyRole = PartyRole.POST_HOLDER


class RecordWithdrawalInput(Record):
    case_id: str
    by: str
    at: datetime
    reason: str


class RecordDecisionInput(Record):
    workflow_id: str
    case_id: str
    staff_id: str
    decision: Decision
