"""Scheduled duties: maintenance notices, fee reminders, key-account callbacks, assessments.

R9.5, R5.4, R3.3, R3.4. Every row has a business key (unique constraint), so an activity that
runs twice, or a Schedule that fires twice, writes each row once (docs/temporal-notes.md).
Timestamps are stored in UTC; dates are the operator's local dates.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


class MaintenanceNoticeRecord(SQLModel, table=True):
    """R9.5: one planned line maintenance or new service, as the workflow last recorded it."""

    __tablename__ = "maintenance_notice"

    notice_id: str = Field(primary_key=True, max_length=64)
    workflow_id: str = Field(max_length=100)
    kind: str = Field(max_length=30)
    area_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    starts_at: datetime = Field(index=True)
    ends_at: datetime
    text: str
    revision: int = 1
    state: str = Field(max_length=20, index=True)
    emergency_approved_by: str | None = Field(default=None, max_length=64)
    notice_due_at: datetime  # starts_at - maintenance_notice_hours
    notified_at: datetime | None = None  # when the current revision reached everyone
    cancel_reason: str | None = None
    updated_at: datetime


class MaintenanceDelivery(SQLModel, table=True):
    """R9.5 proof: which subscriber was told of which revision, in which phase, and when."""

    __tablename__ = "maintenance_delivery"
    __table_args__ = (
        UniqueConstraint("notice_id", "revision", "phase", "subscriber_id", name="uq_mnt_delivery"),
    )

    id: int | None = Field(default=None, primary_key=True)
    notice_id: str = Field(max_length=64, index=True)
    revision: int
    phase: str = Field(max_length=20)  # notice | start | cancel
    subscriber_id: str = Field(max_length=64)
    area_id: str = Field(max_length=64)
    at: datetime


class FeeReminder(SQLModel, table=True):
    """R9.5 / R9.8: one reminder per subscriber per offset per expiry date, however often the
    schedule runs."""

    __tablename__ = "fee_reminder"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "offset_days", "expires_on", name="uq_fee_reminder"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: str = Field(max_length=64)
    offset_days: int
    expires_on: date = Field(index=True)
    area_id: str = Field(max_length=64, index=True)
    channel: str = Field(max_length=20)  # sms | phone_task (plus a TV caption)
    hardship: bool = False
    run_date: date
    created_at: datetime


class KeyAccountCallback(SQLModel, table=True):
    """R5.4: a periodic callback task for a key account, and its result once recorded."""

    __tablename__ = "key_account_callback"
    __table_args__ = (UniqueConstraint("period", "subscriber_id", name="uq_ka_callback"),)

    task_id: str = Field(primary_key=True, max_length=100)  # "<period>/<subscriber_id>"
    period: str = Field(max_length=7, index=True)  # YYYY-MM
    subscriber_id: str = Field(max_length=64)
    area_id: str = Field(max_length=64, index=True)
    assigned_to: str | None = Field(default=None, max_length=64)
    due_on: date
    created_at: datetime
    state: str = Field(default="open", max_length=10, index=True)  # open | done
    agent_id: str | None = Field(default=None, max_length=64)
    reached: bool | None = None
    satisfied: bool | None = None
    problem_found: bool = False
    note: str = ""
    recorded_at: datetime | None = None


class SubscriptionChange(SQLModel, table=True):
    """R3.4: subscribers gained and lost per area, imported from the operator's billing."""

    __tablename__ = "subscription_change"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "change", "changed_on", name="uq_subscription_change"),
    )

    id: int | None = Field(default=None, primary_key=True)
    area_id: str = Field(max_length=64, index=True)
    subscriber_id: str = Field(max_length=64)
    change: str = Field(max_length=10)  # gained | lost
    changed_on: date = Field(index=True)  # the operator's local date


class AssessmentSnapshot(SQLModel, table=True):
    """R3.3: the assessment of one area for one period (YYYY-MM or YYYY), as computed."""

    __tablename__ = "assessment_snapshot"
    __table_args__ = (UniqueConstraint("period", "area_id", name="uq_assessment"),)

    id: int | None = Field(default=None, primary_key=True)
    period: str = Field(max_length=7, index=True)
    area_id: str = Field(max_length=64)
    over_norm: bool = False
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    computed_at: datetime
