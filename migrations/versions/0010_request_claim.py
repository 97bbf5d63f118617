"""Request ids claimed once (issue 9.5): mirrors activities/request_registry.py.

Revision ID: 0010_request_claim
Revises: 0009_organisation
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision: str = "0010_request_claim"
down_revision: str | None = "0009_organisation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "request_claim",
        sa.Column("request_id", AutoString(length=64), nullable=False),
        sa.Column("first_run_id", AutoString(length=64), nullable=False),
        sa.Column("workflow_id", AutoString(length=100), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("request_id"),
    )


def downgrade() -> None:
    op.drop_table("request_claim")
