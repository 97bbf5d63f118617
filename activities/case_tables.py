"""Case records: work orders and what happened to them, for supervisors and reports (R7.1, R3.3).

Every row is keyed on the workflow ID plus a business step, never the run ID, so a retried or
replayed activity writes each row exactly once (docs/temporal-notes.md).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


class WorkOrder(SQLModel, table=True):
    __tablename__ = "work_order"

    request_id: str = Field(primary_key=True, max_length=64)
    workflow_id: str = Field(max_length=100, index=True)
    kind: str = Field(max_length=20, index=True)
    severity: str = Field(max_length=20)
    channel: str = Field(max_length=20)
    subscriber_id: str = Field(max_length=64, index=True)
    area_id: str = Field(max_length=64, index=True)
    owner_id: str = Field(max_length=64, index=True)
    technician_id: str | None = Field(default=None, max_length=64, index=True)
    state: str = Field(max_length=30, index=True)
    priority: str = Field(max_length=20)
    policy_version: str = Field(max_length=40)
    received_at: datetime = Field(index=True)
    clock_started_at: datetime | None = None
    due_at: datetime | None = None
    breached: bool = False
    first_response_at: datetime | None = None  # R3.3 24-hour response rate
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    reopened_count: int = 0
    last_step: int = 0  # newest workflow step written; older syncs never overwrite it


class CaseEvent(SQLModel, table=True):
    """The full timeline of a case (R7.1: supervisors inspect any case's history)."""

    __tablename__ = "case_event"
    __table_args__ = (UniqueConstraint("workflow_id", "seq", name="uq_case_event_step"),)

    id: int | None = Field(default=None, primary_key=True)
    workflow_id: str = Field(max_length=100)
    request_id: str = Field(max_length=64, index=True)
    seq: int
    at: datetime
    type: str = Field(max_length=40)
    by: str | None = Field(default=None, max_length=64)
    detail: str = ""
    rejected: bool = False
    # The verified actor of the message that caused the entry (issue 10): the staff id or
    # service identity, and the token id (`jti`), never the token itself.
    actor_id: str | None = Field(default=None, max_length=200)
    actor_token_id: str | None = Field(default=None, max_length=200)


class EscalationRecord(SQLModel, table=True):
    __tablename__ = "escalation"
    __table_args__ = (UniqueConstraint("workflow_id", "key", name="uq_escalation_key"),)

    id: int | None = Field(default=None, primary_key=True)
    workflow_id: str = Field(max_length=100)
    request_id: str = Field(max_length=64, index=True)
    area_id: str = Field(max_length=64, index=True)
    key: str = Field(max_length=100)
    kind: str = Field(max_length=30, index=True)
    rule: str = Field(max_length=10)
    at: datetime = Field(index=True)
    to: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    reason: str
    accountability_case_id: str | None = Field(default=None, max_length=100)


class CallbackRecord(SQLModel, table=True):
    """R5.3: every callback, reached or not, satisfied or not; feeds R3.3 satisfaction."""

    __tablename__ = "callback_record"
    __table_args__ = (UniqueConstraint("workflow_id", "seq", name="uq_callback_step"),)

    id: int | None = Field(default=None, primary_key=True)
    workflow_id: str = Field(max_length=100)
    request_id: str = Field(max_length=64, index=True)
    area_id: str = Field(max_length=64, index=True)
    seq: int
    agent_id: str = Field(max_length=64)
    at: datetime = Field(index=True)
    reached: bool
    satisfied: bool | None = None
    problem_found: bool = False
    note: str = ""
