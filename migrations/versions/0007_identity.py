"""Who is acting (issue 10): the signing-key archive, the verified actor of each case event and
the token id of each accountability statement and decision.

Mirrors activities/identity_tables.py and the new columns of activities/case_tables.py and
activities/accountability_tables.py.

Revision ID: 0007_identity
Revises: 0004_duties
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0007_identity"
down_revision: str | None = "0004_duties"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "trusted_signing_key",
        sa.Column("issuer", AutoString(length=300), nullable=False),
        sa.Column("kid", AutoString(length=200), nullable=False),
        sa.Column("jwk", AutoString(), nullable=False),
        sa.Column("first_seen_us", sa.BigInteger(), nullable=False),
        sa.Column("retired_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("issuer", "kid"),
    )
    with op.batch_alter_table("case_event") as batch:
        batch.add_column(sa.Column("actor_id", AutoString(length=200), nullable=True))
        batch.add_column(sa.Column("actor_token_id", AutoString(length=200), nullable=True))
    with op.batch_alter_table("accountability_record") as batch:
        batch.add_column(sa.Column("decision_token_id", AutoString(length=200), nullable=True))
        batch.add_column(sa.Column("statement_token_id", AutoString(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accountability_record") as batch:
        batch.drop_column("statement_token_id")
        batch.drop_column("decision_token_id")
    with op.batch_alter_table("case_event") as batch:
        batch.drop_column("actor_token_id")
        batch.drop_column("actor_id")
    op.drop_table("trusted_signing_key")
