"""Organisation (issue 12): company tree, outlets, certification register, inspections and
findings, the supervision log, published disclosures; area branch/boundary, staff company/outlet.

Generated from the SQLModel tables (activities/supervision/tables.py, directory_tables.py).

Revision ID: 0009_organisation
Revises: 0008_regulation
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0009_organisation"
down_revision: str | None = "0008_regulation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "certification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("issued_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("assessment", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        sa.Column("revoked_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("revoke_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("reminded_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("staff_id", "role", "issued_on", name="uq_certification"),
    )
    with op.batch_alter_table("certification", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_certification_expires_on"), ["expires_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_certification_staff_id"), ["staff_id"], unique=False)

    op.create_table(
        "company_unit",
        sa.Column("company_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("level", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("parent_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("head_staff_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("company_id"),
    )
    with op.batch_alter_table("company_unit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_company_unit_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "inspection",
        sa.Column("inspection_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("workflow_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("inspector_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("target_kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("target_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("branch_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("planned_for", sa.Date(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("completed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("policy_version", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.PrimaryKeyConstraint("inspection_id"),
    )
    with op.batch_alter_table("inspection", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inspection_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_inspection_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_inspection_period"), ["period"], unique=False)
        batch_op.create_index(batch_op.f("ix_inspection_state"), ["state"], unique=False)

    op.create_table(
        "inspection_finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("finding_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("branch_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("item", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("system", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column(
            "responsible_staff_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True
        ),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("corrected_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("verified_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("escalated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column(
            "accountability_case_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True
        ),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("inspection_id", "finding_id", name="uq_finding"),
    )
    with op.batch_alter_table("inspection_finding", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inspection_finding_branch_id"), ["branch_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_inspection_finding_inspection_id"), ["inspection_id"], unique=False
        )

    op.create_table(
        "outlet",
        sa.Column("outlet_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("company_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("hours", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("outlet_id"),
    )
    with op.batch_alter_table("outlet", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outlet_company_id"), ["company_id"], unique=False)

    op.create_table(
        "published_disclosure",
        sa.Column("scope_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("published_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("scope_id"),
    )
    op.create_table(
        "supervision_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("branch_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("area_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("inspection_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("finding_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", name="uq_supervision_event_key"),
    )
    with op.batch_alter_table("supervision_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supervision_event_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_supervision_event_branch_id"), ["branch_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_supervision_event_inspection_id"), ["inspection_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_supervision_event_kind"), ["kind"], unique=False)

    with op.batch_alter_table("area", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("branch_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "boundary", sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default=""
            )
        )
        batch_op.create_index(batch_op.f("ix_area_branch_id"), ["branch_id"], unique=False)

    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("company_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(
            sa.Column("outlet_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("outlet_id")
        batch_op.drop_column("company_id")

    with op.batch_alter_table("area", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_area_branch_id"))
        batch_op.drop_column("boundary")
        batch_op.drop_column("branch_id")

    with op.batch_alter_table("supervision_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supervision_event_kind"))
        batch_op.drop_index(batch_op.f("ix_supervision_event_inspection_id"))
        batch_op.drop_index(batch_op.f("ix_supervision_event_branch_id"))
        batch_op.drop_index(batch_op.f("ix_supervision_event_at"))

    op.drop_table("supervision_event")
    op.drop_table("published_disclosure")
    with op.batch_alter_table("outlet", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outlet_company_id"))

    op.drop_table("outlet")
    with op.batch_alter_table("inspection_finding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspection_finding_inspection_id"))
        batch_op.drop_index(batch_op.f("ix_inspection_finding_branch_id"))

    op.drop_table("inspection_finding")
    with op.batch_alter_table("inspection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspection_state"))
        batch_op.drop_index(batch_op.f("ix_inspection_period"))
        batch_op.drop_index(batch_op.f("ix_inspection_kind"))
        batch_op.drop_index(batch_op.f("ix_inspection_branch_id"))

    op.drop_table("inspection")
    with op.batch_alter_table("company_unit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_company_unit_parent_id"))

    op.drop_table("company_unit")
    with op.batch_alter_table("certification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certification_staff_id"))
        batch_op.drop_index(batch_op.f("ix_certification_expires_on"))

    op.drop_table("certification")
