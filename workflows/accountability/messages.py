"""Messages of the `AccountabilityCase` workflow (docs/contract.md, R6)."""

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
UPDATE_WITHDRAW = "withdraw"
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


class PartyRole(StrEnum):
    """(六)5 追究崗位責任人、相關負責人的責任 / (四)7 有關部門負責人: both are pursued."""

    POST_HOLDER = "post_holder"  # 崗位責任人
    LEAD = "lead"  # 相關負責人 (the department head of (四)7)


class RegulationSystem(StrEnum):
    """(六)2: what the violation is against. 2) names the seven systems of the regulation."""

    LAW_AND_POLICY = "law_and_policy"  # 1) 違反國家法律法規及有關政策規定
    PUBLIC_DISCLOSURE = "public_disclosure"  # 服務項目公示制度
    FIRST_CONTACT = "first_contact"  # 客戶服務首問負責制度
    TERRITORY_CONTRACTING = "territory_contracting"  # 客戶服務承包制度
    TIME_LIMITS = "time_limits"  # 限時辦結制度
    CALLBACKS = "callbacks"  # 客戶回訪制度
    ACCOUNTABILITY = "accountability"  # 責任追究制度
    MAINTENANCE_RULES = "maintenance_rules"  # 維護注意事項
    OTHER_MISCONDUCT = "other_misconduct"  # 3) 其他失職、瀆職行為


class AccountabilityState(StrEnum):
    AWAITING_STATEMENT = "awaiting_statement"
    READY_FOR_DECISION = "ready_for_decision"  # statement received, or its deadline passed
    DECIDED = "decided"
    WITHDRAWN = "withdrawn"  # (四)5: the violation turned out not to be one


class AccountabilityCaseInput(Message):
    case_id: str = Field(pattern=r"^[A-Za-z0-9-]{1,100}$")  # e.g. <request_id>-breach-1
    staff_id: Id  # the post holder (崗位責任人, (六)5)
    # The responsible lead (相關負責人, (六)5 / (四)7), e.g. the area supervisor. Heard and
    # decided separately from the post holder; None: only the post holder is pursued.
    lead_id: Id | None = None
    request_id: Id | None = None  # the service request whose breach opened it, if any
    area_id: Id | None = None
    rule: str = Field(pattern=r"^R\d+\.\d+$", description="Rule violated, e.g. R4.3")
    violation: RequiredText  # what happened, without personal data
    opened_by: Id = "system"  # a supervisor's id when opened by hand
    occurred_at: AwareDatetime | None = None
    system: RegulationSystem | None = None  # (六)2 which system was violated, when known


class SubmitStatementUpdate(Message):
    staff_id: Id  # the post holder or the lead: each is heard for themselves ((六)8)
    statement: RequiredText


class DecideUpdate(Message):
    supervisor_id: Id  # (六)4 the party's superior or the supervision office
    severity: AccountabilitySeverity
    # Whose case is decided: the post holder (default, as before) or the lead ((六)5).
    party_id: Id | None = None
    aggravating: list[Aggravating] = Field(default_factory=list)
    mitigating: list[Mitigating] = Field(default_factory=list)
    note: ShortText = ""


class WithdrawUpdate(Message):
    """(四)5: a breach covered by an on-time attempt is no violation; a decider withdraws the
    case with the reason (parties already decided keep their decision)."""

    by: Id
    reason: RequiredText


class Decision(Record):
    staff_id: str | None = None  # the party decided (None in cases decided before issue 11)
    role: PartyRole = PartyRole.POST_HOLDER
    supervisor_id: str
    requested_severity: AccountabilitySeverity
    final_severity: AccountabilitySeverity | None  # None: no sanction (R6.7 "or none")
    outcome_zh: str
    outcome_en: str
    aggravating: list[Aggravating]
    mitigating: list[Mitigating]
    note: str
    decided_at: UtcDatetime
    # Issue 10: the token id (jti) of the verified supervisor's login, never the token itself:
    # the decision is provably theirs. None when auth was off.
    token_id: str | None = None


class PartyStatus(Record):
    """One party's hearing ((六)8) and decision ((六)4, (六)5)."""

    role: PartyRole
    staff_id: str
    state: AccountabilityState = AccountabilityState.AWAITING_STATEMENT
    statement: str | None = None
    statement_at: UtcDatetime | None = None
    statement_missed: bool = False
    prior_violations: int = 0
    deciders: list[str] = Field(default_factory=list)
    decision: Decision | None = None


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
    # (六)5: the responsible lead's own hearing and decision (the fields above are the post
    # holder's). The case ends when every party is decided.
    lead: PartyStatus | None = None
    withdrawn_by: str | None = None
    withdrawn_at: UtcDatetime | None = None
    withdrawn_reason: str | None = None
