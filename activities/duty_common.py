"""Helpers the duty activities share: bulk idempotent inserts, local time, paging, heartbeats."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, SQLModel, col, select
from temporalio import activity

from activities.db import dialect_insert
from activities.directory_tables import Subscriber
from cablecare.policy import SlaPolicy
from cablecare.timefmt import human

PAGE_SIZE = 500


def insert_ignore(session: Session, table: type[SQLModel], rows: Sequence[dict[str, Any]]) -> int:
    """Insert rows, skipping those whose unique key exists already (a retry, a second run).

    One statement per page on SQLite and PostgreSQL alike; returns how many were new.
    """
    if not rows:
        return 0
    target = table.__table__  # type: ignore[attr-defined]
    stmt = dialect_insert(session.get_bind().dialect.name, target).on_conflict_do_nothing()
    # RETURNING counts only the rows really inserted (rowcount is -1 on psycopg here). The
    # rows go as parameters of one cached statement (SQLAlchemy's "insertmanyvalues" batches
    # them): building a VALUES clause of thousands of rows compiled every bind parameter anew
    # and cost more than the database's work (a notice to 100,000 subscribers, issue 13.10).
    result = session.execute(stmt.returning(*target.primary_key.columns), list(rows))
    return len(result.all())


def local_text(moment: datetime, timezone: str) -> str:
    """A time as customers read it: the operator's local time, to the minute, with its offset
    (the one rule for times people read, cablecare/timefmt.py)."""
    return human(moment, timezone)


def contact_params(policy: SlaPolicy) -> dict[str, str]:
    return {"company": policy.contacts.company_name_zh, "hotline": policy.contacts.hotline}


def subscriber_pages(
    session: Session, area_id: str, after: str = "", page_size: int | None = None
) -> Iterator[list[Subscriber]]:
    """The subscribers of an area, by id, a page at a time, starting after `after`."""
    page_size = page_size or PAGE_SIZE
    while True:
        page = session.exec(
            select(Subscriber)
            .where(Subscriber.area_id == area_id, col(Subscriber.subscriber_id) > after)
            .order_by(col(Subscriber.subscriber_id))
            .limit(page_size)
        ).all()
        if not page:
            return
        yield list(page)
        after = page[-1].subscriber_id


def resume_point() -> Any:
    """The cursor the previous attempt of this activity heartbeated, if any."""
    details = activity.info().heartbeat_details
    return details[0] if details else None


def is_mobile(phone: str) -> bool:
    """A Chinese mobile number takes an SMS; anything else becomes a phone task."""
    digits = phone.replace("-", "").replace(" ", "").removeprefix("+86")
    return len(digits) == 11 and digits.startswith("1") and digits.isdigit()
