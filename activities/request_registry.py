"""A request id is used once, whoever starts it (issue 9.5).

Temporal's id-reuse policy belongs to the caller: a start without `--id-reuse-policy
RejectDuplicate` opens a second case for a closed request id, and the database, keyed on the
request id, would silently mix the two. So the workflow itself claims its request id at intake:
the first workflow execution (its `first_execution_run_id`, stable across continue-as-new and
retries of the same run) that claims an id owns it for good; any other execution is refused.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel


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
    first run id of the execution that already owns it. Idempotent for the owner."""
    owner = session.get(RequestClaim, request_id)
    if owner is None:
        session.add(
            RequestClaim(
                request_id=request_id,
                first_run_id=first_run_id,
                workflow_id=workflow_id,
                claimed_at=at,
            )
        )
        try:
            session.commit()
            return None
        except IntegrityError:  # another worker claimed it between our read and our write
            session.rollback()
            owner = session.get(RequestClaim, request_id)
            assert owner is not None
    return None if owner.first_run_id == first_run_id else owner.first_run_id
