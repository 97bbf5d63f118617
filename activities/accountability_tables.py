"""The accountability record (R6): one row per case, so supervisors and the monthly reports
read outcomes and repeat violations (R6.6) without asking Temporal.

Keyed on `case_id`; every activity upserts it, so a retried activity never adds a second row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, DateTime
from sqlmodel import Field, SQLModel

# Timestamps are written in UTC: PostgreSQL keeps the offset, SQLite drops it, and the
# lookback comparison of R6.6 must mean the same instant on both.
AWARE = DateTime(timezone=True)


class AccountabilityRecord(SQLModel, table=True):
    __tablename__ = "accountability_record"

    case_id: str = Field(primary_key=True, max_length=100)  # CONTRACT: up to 100 chars
    workflow_id: str = Field(max_length=128)
    staff_id: str = Field(max_length=64, index=True)  # R6.6 repeat violations are per person
    lead_id: str | None = Field(default=None, max_length=64)
    request_id: str | None = Field(default=None, max_length=64, index=True)
    area_id: str | None = Field(default=None, max_length=64)
    rule: str = Field(max_length=16)
    violation: str
    opened_at: datetime = Field(sa_type=AWARE, index=True)
    statement_due_at: datetime | None = Field(default=None, sa_type=AWARE)
    statement: str | None = None
    statement_at: datetime | None = Field(default=None, sa_type=AWARE)
    statement_missed: bool = False  # R6.8
    statement_token_id: str | None = Field(default=None, max_length=200)  # issue 10: jti
    prior_violations: int = 0  # R6.6, counted when the case opened
    decided_at: datetime | None = Field(default=None, sa_type=AWARE)
    supervisor_id: str | None = Field(default=None, max_length=64)
    decision_token_id: str | None = Field(default=None, max_length=200)  # issue 10: jti
    requested_severity: str | None = Field(default=None, max_length=16)
    final_severity: str | None = Field(
        default=None, max_length=16
    )  # None once decided: no sanction
    outcome: str | None = None  # R6.5 outcome text (Chinese, as the policy states it)
    outcome_en: str | None = None
    note: str | None = None
    aggravating: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    mitigating: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # (六)5: the responsible lead's own hearing and decision (columns above: the post holder).
    lead_statement: str | None = None
    lead_statement_at: datetime | None = Field(default=None, sa_type=AWARE)
    lead_statement_missed: bool = False
    lead_statement_token_id: str | None = Field(default=None, max_length=200)  # issue 10: jti
    lead_prior_violations: int = 0
    lead_decided_at: datetime | None = Field(default=None, sa_type=AWARE)
    lead_supervisor_id: str | None = Field(default=None, max_length=64)
    lead_decision_token_id: str | None = Field(default=None, max_length=200)  # issue 10: jti
    lead_requested_severity: str | None = Field(default=None, max_length=16)
    lead_final_severity: str | None = Field(default=None, max_length=16)
    lead_outcome: str | None = None
    lead_outcome_en: str | None = None
    lead_note: str | None = None
    lead_aggravating: list[str] | None = Field(default=None, sa_column=Column(JSON))
    lead_mitigating: list[str] | None = Field(default=None, sa_column=Column(JSON))
    # (四)5: a case withdrawn because the violation turned out not to be one.
    withdrawn_at: datetime | None = Field(default=None, sa_type=AWARE)
    withdrawn_by: str | None = Field(default=None, max_length=64)
    withdrawn_reason: str | None = None
