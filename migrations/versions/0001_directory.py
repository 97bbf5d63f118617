"""Directory tables: area, staff, subscriber (docs/contract.md "Directory data", R3.1, R8.1).

Mirrors activities/directory_tables.py column for column. The enum columns store the
member *names* (URBAN, CITY, ...) because that is what SQLModel maps a StrEnum field to.

Revision ID: 0001_directory
Revises:
Create Date: 2026-01-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0001_directory"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SETTING = sa.Enum("URBAN", "RURAL", name="setting")
COMPANY = sa.Enum("CITY", "COUNTY", name="company")


def upgrade() -> None:
    op.create_table(
        "area",
        sa.Column("area_id", AutoString(length=64), nullable=False),
        sa.Column("name", AutoString(), nullable=False),
        sa.Column("setting", SETTING, nullable=False),
        sa.Column("company", COMPANY, nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("technician_id", AutoString(length=64), nullable=False),
        sa.Column("service_phone", AutoString(), nullable=False),
        sa.Column("supervision_phone", AutoString(), nullable=False),
        sa.Column("growth_target", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("area_id"),
    )
    op.create_table(
        "staff",
        sa.Column("staff_id", AutoString(length=64), nullable=False),
        sa.Column("name", AutoString(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("area_id", AutoString(length=64), nullable=True),
        sa.Column("certified_roles", sa.JSON(), nullable=False),
        sa.Column("phone", AutoString(), nullable=False),
        sa.Column("photo_ref", AutoString(), nullable=True),
        sa.PrimaryKeyConstraint("staff_id"),
    )
    op.create_index("ix_staff_area_id", "staff", ["area_id"], unique=False)
    op.create_table(
        "subscriber",
        sa.Column("subscriber_id", AutoString(length=64), nullable=False),
        sa.Column("name", AutoString(), nullable=False),
        sa.Column("phone", AutoString(), nullable=False),
        sa.Column("address", AutoString(), nullable=False),
        sa.Column("area_id", AutoString(length=64), nullable=False),
        sa.Column("key_account", sa.Boolean(), nullable=False),
        sa.Column("hardship", sa.Boolean(), nullable=False),
        sa.Column("fee_expires_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("subscriber_id"),
    )
    op.create_index("ix_subscriber_area_id", "subscriber", ["area_id"], unique=False)
    op.create_index("ix_subscriber_fee_expires_on", "subscriber", ["fee_expires_on"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_subscriber_fee_expires_on", table_name="subscriber")
    op.drop_index("ix_subscriber_area_id", table_name="subscriber")
    op.drop_table("subscriber")
    op.drop_index("ix_staff_area_id", table_name="staff")
    op.drop_table("staff")
    op.drop_table("area")
    # PostgreSQL keeps the enum types after DROP TABLE; SQLite has none to drop.
    bind = op.get_bind()
    COMPANY.drop(bind, checkfirst=True)
    SETTING.drop(bind, checkfirst=True)
