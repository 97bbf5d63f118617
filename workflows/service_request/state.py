"""State of one service request: what the `status` query shows and what continue-as-new carries.

Pure pydantic models, no I/O: safe inside the workflow sandbox.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from cablecare.domain import CaseState, Channel, Company, Kind, Setting, Severity
from cablecare.policy import SlaPolicy
from workflows.common import Record, StatusRecord

TIMELINE_KEPT = 200  # the newest entries stay in the workflow; the database keeps all of them


class EscalationKind(StrEnum):
    WARNING = "warning"  # R7.3 before the limit passes
    BREACH = "breach"  # R4.7 the limit passed
    ACKNOWLEDGE_OVERDUE = "acknowledge_overdue"  # R9.2 complaint not acknowledged in 4 h
    CALLBACK_OVERDUE = "callback_overdue"  # R5.1 no callback within 72 h
    APPOINTMENT_MISSED = "appointment_missed"  # R9.7
    LEADERSHIP_REPORT = "leadership_report"  # R2.7 major / key account
    UNREACHABLE_REPORT = "unreachable_report"  # R4.5 report to the business lead


class Clock(StatusRecord):
    """The SLA clock of the current round (a reopened case starts a new round, R5.2)."""

    round: int = 0
    started_at: datetime | None = None
    base_due_at: datetime | None = None  # computed once by an activity, recorded in history
    due_at: datetime | None = None  # base + approved extensions + force-majeure pauses
    limit_label: str | None = None
    rule: str | None = None
    paused: bool = False  # R9.4 force majeure declared by a leader
    paused_at: datetime | None = None
    paused_seconds: float = 0.0
    extended_hours: int = 0  # R4.6 approved by a leader
    warned: bool = False
    breached: bool = False
    breached_at: datetime | None = None


class Escalation(StatusRecord):
    key: str
    kind: EscalationKind
    rule: str
    at: datetime
    to: list[str]
    reason: str
    accountability_case_id: str | None = None


class CallbackEntry(StatusRecord):
    seq: int
    agent_id: str
    at: datetime
    reached: bool
    satisfied: bool | None
    problem_found: bool
    note: str


class TimelineEntry(StatusRecord):
    seq: int
    at: datetime
    type: str
    by: str | None = None
    detail: str = ""
    rejected: bool = False


class Referral(StatusRecord):
    """R2.6: where the case was referred, why, and that the department was contacted."""

    by: str
    at: datetime
    department: str
    contact: str
    reason: str
    contacted: bool = True


class Visit(StatusRecord):
    technician_id: str
    window_start: datetime
    window_end: datetime
    kept: bool = False
    missed: bool = False


class PendingExtension(StatusRecord):
    by: str
    reason: str
    extra_hours: int
    requested_at: datetime


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
    roster: dict[str, list[str]]  # staff id -> roles the person is certified for (R8.1)
    policy: SlaPolicy


class ServiceRequestSnapshot(StatusRecord):
    """The `status` query (CONTRACT.md): everything staff see."""

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
    received_at: datetime
    missing_materials: list[str] = Field(default_factory=list)
    materials: list[str] = Field(default_factory=list)
    clock: Clock = Field(default_factory=Clock)
    acknowledged_at: datetime | None = None
    acknowledge_due_at: datetime | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    resolution: str | None = None
    callback_due_at: datetime | None = None
    closed_at: datetime | None = None
    visit: Visit | None = None
    referrals: list[Referral] = Field(default_factory=list)
    pending_extension: PendingExtension | None = None
    escalations: list[Escalation] = Field(default_factory=list)
    callbacks: list[CallbackEntry] = Field(default_factory=list)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    cancel_reason: str | None = None


class CustomerView(StatusRecord):
    """R4.8: what the customer may see. No internal notes, no staff phone numbers."""

    request_id: str
    kind: Kind
    state: CaseState
    received_at: datetime
    missing_materials: list[str]
    due_at: datetime | None
    paused: bool
    visit_window_start: datetime | None
    visit_window_end: datetime | None
    resolved_at: datetime | None
    technician_id: str | None  # the work ID a technician shows at the door (R9.7)
