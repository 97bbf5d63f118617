"""Accountability record (R6): one row per AccountabilityCase.

Mirrors activities/accountability_tables.py column for column. Timestamps are stored in UTC.

Revision ID: 0003_accountability
Revises: 0002_cases
Create Date: 2026-01-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_accountability"
down_revision: str | None = "0002_cases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _str(length: int | None = None) -> sa.String:
    # What SQLModel's AutoString renders to: VARCHAR(n) on PostgreSQL, TEXT-like on SQLite.
    return sa.String(length=length)


def upgrade() -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "accountability_record",
        sa.Column("case_id", _str(100), nullable=False),
        sa.Column("workflow_id", _str(128), nullable=False),
        sa.Column("staff_id", _str(64), nullable=False),
        sa.Column("lead_id", _str(64), nullable=True),
        sa.Column("request_id", _str(64), nullable=True),
        sa.Column("area_id", _str(64), nullable=True),
        sa.Column("rule", _str(16), nullable=False),
        sa.Column("violation", _str(), nullable=False),
        sa.Column("opened_at", ts, nullable=False),
        sa.Column("statement_due_at", ts, nullable=True),
        sa.Column("statement", _str(), nullable=True),
        sa.Column("statement_at", ts, nullable=True),
        sa.Column("statement_missed", sa.Boolean(), nullable=False),
        sa.Column("prior_violations", sa.Integer(), nullable=False),
        sa.Column("decided_at", ts, nullable=True),
        sa.Column("supervisor_id", _str(64), nullable=True),
        sa.Column("requested_severity", _str(16), nullable=True),
        sa.Column("final_severity", _str(16), nullable=True),
        sa.Column("outcome", _str(), nullable=True),
        sa.Column("outcome_en", _str(), nullable=True),
        sa.Column("note", _str(), nullable=True),
        sa.Column("aggravating", sa.JSON(), nullable=False),
        sa.Column("mitigating", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index(
        "ix_accountability_record_staff_id", "accountability_record", ["staff_id"], unique=False
    )
    op.create_index(
        "ix_accountability_record_request_id", "accountability_record", ["request_id"], unique=False
    )
    op.create_index(
        "ix_accountability_record_opened_at", "accountability_record", ["opened_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_accountability_record_opened_at", table_name="accountability_record")
    op.drop_index("ix_accountability_record_request_id", table_name="accountability_record")
    op.drop_index("ix_accountability_record_staff_id", table_name="accountability_record")
    op.drop_table("accountability_record")
