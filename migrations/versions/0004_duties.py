"""Scheduled duties: maintenance notices and deliveries, fee reminders, key-account callbacks,
subscription changes, assessment snapshots (R9.5, R5.4, R3.3, R3.4).

Mirrors activities/duty_tables.py column for column. Timestamps are stored in UTC.

Revision ID: 0004_duties
Revises: 0003_accountability
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision: str = "0004_duties"
down_revision: str | None = "0003_accountability"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    ts = UTCDateTime()
    op.create_table(
        "maintenance_notice",
        sa.Column("notice_id", AutoString(length=64), nullable=False),
        sa.Column("workflow_id", AutoString(length=100), nullable=False),
        sa.Column("kind", AutoString(length=30), nullable=False),
        sa.Column("area_ids", sa.JSON(), nullable=False),
        sa.Column("starts_at", ts, nullable=False),
        sa.Column("ends_at", ts, nullable=False),
        sa.Column("text", AutoString(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("state", AutoString(length=20), nullable=False),
        sa.Column("emergency_approved_by", AutoString(length=64), nullable=True),
        sa.Column("notice_due_at", ts, nullable=False),
        sa.Column("notified_at", ts, nullable=True),
        sa.Column("cancel_reason", AutoString(), nullable=True),
        sa.Column("updated_at", ts, nullable=False),
        sa.PrimaryKeyConstraint("notice_id"),
    )
    op.create_index("ix_maintenance_notice_starts_at", "maintenance_notice", ["starts_at"])
    op.create_index("ix_maintenance_notice_state", "maintenance_notice", ["state"])

    op.create_table(
        "maintenance_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", AutoString(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("phase", AutoString(length=20), nullable=False),
        sa.Column("subscriber_id", AutoString(length=64), nullable=False),
        sa.Column("area_id", AutoString(length=64), nullable=False),
        sa.Column("at", ts, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "notice_id", "revision", "phase", "subscriber_id", name="uq_mnt_delivery"
        ),
    )
    op.create_index("ix_maintenance_delivery_notice_id", "maintenance_delivery", ["notice_id"])

    op.create_table(
        "fee_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", AutoString(length=64), nullable=False),
        sa.Column("offset_days", sa.Integer(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("area_id", AutoString(length=64), nullable=False),
        sa.Column("channel", AutoString(length=20), nullable=False),
        sa.Column("hardship", sa.Boolean(), nullable=False),
        sa.Column("run_date", sa.Date(), nullable=False),
        sa.Column("created_at", ts, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subscriber_id", "offset_days", "expires_on", name="uq_fee_reminder"),
    )
    op.create_index("ix_fee_reminder_expires_on", "fee_reminder", ["expires_on"])
    op.create_index("ix_fee_reminder_area_id", "fee_reminder", ["area_id"])

    op.create_table(
        "key_account_callback",
        sa.Column("task_id", AutoString(length=100), nullable=False),
        sa.Column("period", AutoString(length=7), nullable=False),
        sa.Column("subscriber_id", AutoString(length=64), nullable=False),
        sa.Column("area_id", AutoString(length=64), nullable=False),
        sa.Column("assigned_to", AutoString(length=64), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("state", AutoString(length=10), nullable=False),
        sa.Column("agent_id", AutoString(length=64), nullable=True),
        sa.Column("reached", sa.Boolean(), nullable=True),
        sa.Column("satisfied", sa.Boolean(), nullable=True),
        sa.Column("problem_found", sa.Boolean(), nullable=False),
        sa.Column("note", AutoString(), nullable=False),
        sa.Column("recorded_at", ts, nullable=True),
        sa.PrimaryKeyConstraint("task_id"),
        sa.UniqueConstraint("period", "subscriber_id", name="uq_ka_callback"),
    )
    op.create_index("ix_key_account_callback_period", "key_account_callback", ["period"])
    op.create_index("ix_key_account_callback_area_id", "key_account_callback", ["area_id"])
    op.create_index("ix_key_account_callback_state", "key_account_callback", ["state"])

    op.create_table(
        "subscription_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", AutoString(length=64), nullable=False),
        sa.Column("subscriber_id", AutoString(length=64), nullable=False),
        sa.Column("change", AutoString(length=10), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "subscriber_id", "change", "changed_on", name="uq_subscription_change"
        ),
    )
    op.create_index("ix_subscription_change_area_id", "subscription_change", ["area_id"])
    op.create_index("ix_subscription_change_changed_on", "subscription_change", ["changed_on"])

    op.create_table(
        "assessment_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", AutoString(length=7), nullable=False),
        sa.Column("area_id", AutoString(length=64), nullable=False),
        sa.Column("over_norm", sa.Boolean(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("computed_at", ts, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("period", "area_id", name="uq_assessment"),
    )
    op.create_index("ix_assessment_snapshot_period", "assessment_snapshot", ["period"])


def downgrade() -> None:
    for table in (
        "assessment_snapshot",
        "subscription_change",
        "key_account_callback",
        "fee_reminder",
        "maintenance_delivery",
        "maintenance_notice",
    ):
        op.drop_table(table)
