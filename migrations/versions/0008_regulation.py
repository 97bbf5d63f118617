"""Issue 11, the regulation as written: (六)4 `reports_to` on staff, (四)4 network construction on
areas and subscribers, (六)5 the responsible lead's own hearing and decision, (四)5 a withdrawn case.

Mirrors activities/directory_tables.py and activities/accountability_tables.py.

Revision ID: 0008_regulation
Revises: 0007_identity
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_regulation"
down_revision: str | None = "0007_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LEAD_COLUMNS = (
    ("lead_statement", sa.String()),
    ("lead_statement_at", sa.DateTime(timezone=True)),
    ("lead_decided_at", sa.DateTime(timezone=True)),
    ("lead_supervisor_id", sa.String(length=64)),
    ("lead_statement_token_id", sa.String(length=200)),
    ("lead_decision_token_id", sa.String(length=200)),
    ("lead_requested_severity", sa.String(length=16)),
    ("lead_final_severity", sa.String(length=16)),
    ("lead_outcome", sa.String()),
    ("lead_outcome_en", sa.String()),
    ("lead_note", sa.String()),
    ("lead_aggravating", sa.JSON()),
    ("lead_mitigating", sa.JSON()),
    ("withdrawn_at", sa.DateTime(timezone=True)),
    ("withdrawn_by", sa.String(length=64)),
    ("withdrawn_reason", sa.String()),
)


def upgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("reports_to", sa.String(length=64), nullable=True))
    with op.batch_alter_table("area") as batch:
        batch.add_column(
            sa.Column("network_built", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("subscriber") as batch:
        batch.add_column(sa.Column("network_built", sa.Boolean(), nullable=True))
    with op.batch_alter_table("accountability_record") as batch:
        for name, type_ in _LEAD_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
        batch.add_column(
            sa.Column(
                "lead_statement_missed", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch.add_column(
            sa.Column("lead_prior_violations", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("accountability_record") as batch:
        for name in ("lead_prior_violations", "lead_statement_missed"):
            batch.drop_column(name)
        for name, _type in reversed(_LEAD_COLUMNS):
            batch.drop_column(name)
    with op.batch_alter_table("subscriber") as batch:
        batch.drop_column("network_built")
    with op.batch_alter_table("area") as batch:
        batch.drop_column("network_built")
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("reports_to")
