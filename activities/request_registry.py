"""A request id is used once, whoever starts it (issue 9.5).

Temporal's id-reuse policy belongs to the caller: a start without `--id-reuse-policy
RejectDuplicate` opens a second case for a closed request id, and the database, keyed on the
request id, would silently mix the two. So the workflow itself claims its request id at intake:
the first workflow execution (its `first_execution_run_id`, stable across continue-as-new and
retries of the same run) that claims an id owns it for good; any other execution is refused.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, select
from sqlmodel import Field, Session, SQLModel

from activities.db import dialect_insert


class RequestClaim(SQLModel, table=True):
    __tablename__ = "request_claim"

    request_id: str = Field(primary_key=True, max_length=64)
    first_run_id: str = Field(max_length=64)  # the claiming workflow's first execution run id
    workflow_id: str = Field(max_length=100)
    claimed_at: datetime


def claim_request(
    session: Session, *, request_id: str, first_run_id: str, workflow_id: str, at: datetime
) -> str | None:
    """Claim `request_id` for `first_run_id`. Returns None when it is (now) ours, otherwise the
    first run id of the execution that already owns it. Idempotent for the owner.

    One `INSERT ... ON CONFLICT DO NOTHING RETURNING` (a concurrent claim by another worker
    loses at the unique key, not between a read and a write); the owner is read only when the
    id was claimed before. Committed here."""
    dialect = session.get_bind().dialect.name
    claimed = session.execute(
        _claim_statement(dialect),
        {
            "request_id": request_id,
            "first_run_id": first_run_id,
            "workflow_id": workflow_id,
            "claimed_at": at,
        },
    ).first()
    owner = first_run_id
    if claimed is None:
        owner = session.execute(
            select(_TABLE.c.first_run_id).where(_TABLE.c.request_id == request_id)
        ).scalar_one()
    session.commit()
    return None if owner == first_run_id else owner


_TABLE: Table = RequestClaim.__table__  # type: ignore[attr-defined]


@lru_cache(maxsize=4)
def _claim_statement(dialect: str) -> Any:
    """Built once per dialect: a new statement per call costs SQLAlchemy a cache-key walk."""
    insert = dialect_insert(dialect, _TABLE)
    return insert.on_conflict_do_nothing().returning(_TABLE.c.request_id)
