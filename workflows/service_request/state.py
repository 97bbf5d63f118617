"""State of one service request: what the `status` query shows and what continue-as-new carries.

Pure pydantic models, no I/O: safe inside the workflow sandbox.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from cablecare.domain import CaseState, Channel, Company, Kind, Setting, Severity
from cablecare.policy import SlaPolicy
from cablecare.timefmt import UtcDatetime
from workflows.certification.validity import Certificates
from workflows.common import Record

TIMELINE_KEPT = 200  # the newest entries stay in the workflow; the database keeps all of them


class EscalationKind(StrEnum):
    WARNING = "warning"  # R7.3 before the limit passes
    BREACH = "breach"  # R4.7 the limit passed
    ACKNOWLEDGE_OVERDUE = "acknowledge_overdue"  # (九)2 no first response to a complaint in 4 h
    CALLBACK_OVERDUE = "callback_overdue"  # (九)6 no callback within 72 h after the repair
    TRACKING_OVERDUE = "tracking_overdue"  # (五)1 work order not tracked within 72 h of the call
    FIRST_ACTION_OVERDUE = "first_action_overdue"  # (四)6 urgent case not accepted in time
    APPOINTMENT_MISSED = "appointment_missed"  # R9.7
    LEADERSHIP_REPORT = "leadership_report"  # R2.7 major / key account
    UNREACHABLE_REPORT = "unreachable_report"  # R4.5 report to the business lead


class Clock(Record):
    """The SLA clock of the current round (a reopened case starts a new round, R5.2)."""

    round: int = 0
    started_at: UtcDatetime | None = None
    base_due_at: UtcDatetime | None = None  # computed once by an activity, recorded in history
    due_at: UtcDatetime | None = None  # base + approved extensions + force-majeure pauses
    limit_label: str | None = None
    rule: str | None = None
    paused: bool = False  # R9.4 force majeure declared by a leader
    paused_at: UtcDatetime | None = None
    paused_seconds: float = 0.0
    extended_hours: int = 0  # R4.6 approved by a leader
    warned: bool = False
    breached: bool = False
    breached_at: UtcDatetime | None = None


class Escalation(Record):
    key: str
    kind: EscalationKind
    rule: str
    at: UtcDatetime
    to: list[str]
    reason: str
    accountability_case_id: str | None = None
    # (四)5: a breach found later to be covered by an on-time attempt is withdrawn, not deleted.
    withdrawn_at: UtcDatetime | None = None
    withdrawn_reason: str | None = None


class CallbackEntry(Record):
    seq: int
    agent_id: str
    at: UtcDatetime
    reached: bool
    satisfied: bool | None
    problem_found: bool
    note: str


class TimelineEntry(Record):
    seq: int
    at: UtcDatetime
    type: str
    by: str | None = None
    detail: str = ""
    rejected: bool = False
    actor_id: str | None = None  # the verified sender (issue 10), set by the workflow shell
    actor_token_id: str | None = None  # its token id (jti): never the token


class Referral(Record):
    """(二)6 / (二)9: where the case was referred, why, the department's address and contact
    (told to the customer), and whether staff actually reached the department."""

    by: str
    at: UtcDatetime
    department: str
    contact: str
    reason: str
    contacted: bool = False
    address: str = ""


class LeadershipQuestion(Record):
    """(二)7 / (二)8: a matter the first-responsible person reports to leadership, and the
    leader's answer."""

    seq: int
    by: str
    at: UtcDatetime
    matter: str  # unclear / major / urgent
    question: str
    answered_by: str | None = None
    answered_at: UtcDatetime | None = None
    answer: str | None = None


class DeemedCompletion(Record):
    """(四)5: the case was deemed completed on time by the receiving department."""

    reason: str
    attempted_at: UtcDatetime
    reported_at: UtcDatetime
    reported_by: str
    on_time: bool


class Visit(Record):
    technician_id: str
    window_start: UtcDatetime
    window_end: UtcDatetime
    kept: bool = False
    missed: bool = False


class PendingExtension(Record):
    by: str
    reason: str
    extra_hours: int
    requested_at: UtcDatetime


class CaseContext(Record):
    """What intake read from the directory and the policy (R2.2, R3.1, R8.1)."""

    area_id: str
    setting: Setting
    company: Company
    key_account: bool
    area_technician_id: str | None
    supervisors: list[str]
    leaders: list[str]
    business_leads: list[str]
    window_leads: list[str]
    network_built: bool = True  # (四)4 the directory marks areas/addresses not yet built
    roster: dict[str, list[str]]  # staff id -> roles the person is certified for (R8.1)
    # R8.1 the register's certificates, checked again at the time of assignment (issue 12)
    certificates: Certificates = Field(default_factory=dict)
    policy: SlaPolicy


class ServiceRequestSnapshot(Record):
    """The `status` query (docs/contract.md): everything staff see."""

    request_id: str
    kind: Kind
    severity: Severity
    channel: Channel
    subscriber_id: str
    state: CaseState
    owner_id: str
    technician_id: str | None = None
    area_id: str
    priority: str
    policy_version: str
    received_at: UtcDatetime
    missing_materials: list[str] = Field(default_factory=list)
    materials: list[str] = Field(default_factory=list)
    clock: Clock = Field(default_factory=Clock)
    acknowledged_at: UtcDatetime | None = None
    acknowledge_due_at: UtcDatetime | None = None
    first_response_at: UtcDatetime | None = None  # (九)2 the first response of any kind
    accept_due_at: UtcDatetime | None = None  # (四)6 urgent: the first action is due
    accepted_at: UtcDatetime | None = None
    tracking_due_at: UtcDatetime | None = None  # (五)1 72 h from the customer's call
    tracked_at: UtcDatetime | None = None
    tracking_note: str | None = None
    materials_lapse_at: UtcDatetime | None = None  # (四)5 the materials window closes
    materials_reminded: bool = False
    network_pending: bool = False  # (四)4 waiting for the network to be built
    network_built_at: UtcDatetime | None = None
    deemed: DeemedCompletion | None = None
    leadership_questions: list[LeadershipQuestion] = Field(default_factory=list)
    resolved_at: UtcDatetime | None = None
    resolution: str | None = None
    callback_due_at: UtcDatetime | None = None
    closed_at: UtcDatetime | None = None
    visit: Visit | None = None
    referrals: list[Referral] = Field(default_factory=list)
    pending_extension: PendingExtension | None = None
    escalations: list[Escalation] = Field(default_factory=list)
    callbacks: list[CallbackEntry] = Field(default_factory=list)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    cancel_reason: str | None = None


class CustomerReferral(Record):
    department: str
    address: str
    contact: str


class CustomerView(Record):
    """R4.8: what the customer may see. No internal notes, no staff phone numbers."""

    request_id: str
    kind: Kind
    state: CaseState
    received_at: UtcDatetime
    missing_materials: list[str]
    due_at: UtcDatetime | None
    paused: bool
    visit_window_start: UtcDatetime | None
    visit_window_end: UtcDatetime | None
    resolved_at: UtcDatetime | None
    technician_id: str | None  # the work ID a technician shows at the door (R9.7)
    # (二)9: the department that handles the case, its address and its contact.
    referrals: list[CustomerReferral] = Field(default_factory=list)
    network_pending: bool = False  # (四)4
