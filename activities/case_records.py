"""Case records from committed history: one regular activity per flush of a ServiceRequest.

Why a regular activity and not a local one (issue 9): a local activity runs inside a workflow
task, and Temporal may discard that task afterwards (an aborted speculative update task above
the 10-updates-in-flight limit, a task that times out or fails and is retried). Its effects
have then happened for decisions that were never committed, and the retried task may number
different content with the same step. A regular activity is scheduled by a command of the
workflow task that made the decision: the ActivityTaskScheduled event and the decision are
committed together or not at all, and its input, stored in that event, is the same on every
retry. So every row written here comes from committed history, exactly once by its key:

- the work order is an upsert of the authoritative state, newest step wins;
- timeline, escalation and callback rows are keyed on (workflow id, seq or key);
- outbox messages are keyed on their business key and written in the same transaction;
- accountability cases are started after the commit, each under its own workflow id.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from enum import Enum
from functools import lru_cache
from typing import Any

import structlog
from sqlalchemy import Connection
from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import WorkflowAlreadyStartedError

from activities.case_tables import CallbackRecord, CaseEvent, EscalationRecord, WorkOrder
from activities.db import SessionFactory, dialect_insert
from activities.notification_tables import OutboxMessage
from activities.notifications import Notification, log_queued, outbox_row
from starter.accountability import open_case
from workflows.service_request.activity_io import (
    RECORD_CASE,
    RecordCaseInput,
    RecordCaseResult,
    SyncCaseInput,
)

log = structlog.get_logger(__name__)


# Rows are written through a Core connection where the caller has one (record_case: no ORM
# session to set up per flush) or through a session (the legacy sync_case path).
Db = Session | Connection


def _dialect(db: Db) -> str:
    return db.get_bind().dialect.name if isinstance(db, Session) else db.dialect.name


# The statements are built once per dialect (and column set) and reused: a statement object
# that is new on every flush costs SQLAlchemy a cache-key walk over it per execution, and one
# with `.values(...)` a compilation as well (~30 % of a flush's CPU when it did).
@lru_cache(maxsize=8)
def _work_order_upsert(dialect: str, columns: tuple[str, ...]) -> Any:
    """Upsert of the work order: the newest step wins, older steps never overwrite."""
    upsert = dialect_insert(dialect, _table(WorkOrder))
    return upsert.on_conflict_do_update(
        index_elements=["request_id"],
        set_={k: upsert.excluded[k] for k in columns if k != "request_id"},
        where=_columns(WorkOrder).last_step <= upsert.excluded.last_step,
    )


@lru_cache(maxsize=16)
def _insert_new_statement(dialect: str, table: Any, key: str) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING the key of each row inserted now."""
    insert = dialect_insert(dialect, _table(table))
    return insert.on_conflict_do_nothing().returning(_columns(table)[key])


def write_case_rows(session: Db, data: SyncCaseInput) -> RecordCaseResult:
    """Upsert the work order (newest step wins) and insert the timeline, escalation and
    callback rows not written yet, one statement per table; the caller commits.

    Each statement is one cached multi-row INSERT ... ON CONFLICT: the unique keys (workflow
    id + seq/key) make a retried or concurrent flush a no-op per row, and RETURNING counts
    the rows that were new (no read-before-write, no ORM unit of work)."""
    dialect = _dialect(session)
    wo = data.work_order
    values = _plain({**wo.model_dump(), "last_step": data.step})
    session.execute(_work_order_upsert(dialect, tuple(values)), values)
    wf, req, area = wo.workflow_id, wo.request_id, wo.area_id
    events = {
        e.seq: _plain({"workflow_id": wf, "request_id": req, **e.model_dump()}) for e in data.events
    }
    escalations = {
        x.key: _plain({"workflow_id": wf, "request_id": req, "area_id": area, **x.model_dump()})
        for x in data.escalations
    }
    callbacks = {
        c.seq: _plain({"workflow_id": wf, "request_id": req, "area_id": area, **c.model_dump()})
        for c in data.callbacks
    }
    return RecordCaseResult(
        events=len(_insert_new(session, CaseEvent, list(events.values()), "seq")),
        escalations=len(_insert_new(session, EscalationRecord, list(escalations.values()), "key")),
        callbacks=len(_insert_new(session, CallbackRecord, list(callbacks.values()), "seq")),
    )


def _table(model: Any) -> Any:
    """The Core table of a SQLModel table class."""
    return model.__table__


def _columns(model: Any) -> Any:
    """The Core columns of a SQLModel table class."""
    return _table(model).c


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """Enum members as their values, as the columns store them (any driver)."""
    return {k: v.value if isinstance(v, Enum) else v for k, v in values.items()}


def _insert_new(session: Db, table: Any, rows: list[dict[str, Any]], key: str) -> list[Any]:
    """Insert the rows whose unique key is not there yet, each exactly once; returns the keys
    of the rows inserted now (one multi-row INSERT by SQLAlchemy's "insertmanyvalues")."""
    if not rows:
        return []
    statement = _insert_new_statement(_dialect(session), table, key)
    return list(session.execute(statement, rows).scalars())


class CaseRecordActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    def activities(self) -> list[Callable[..., Any]]:
        return [self.record_case]

    @activity.defn(name=RECORD_CASE)
    async def record_case(self, data: RecordCaseInput) -> RecordCaseResult:
        """Write one committed flush in one transaction, then open its accountability cases."""
        started = time.perf_counter()
        result = await asyncio.to_thread(self._write, data)
        written = time.perf_counter()
        client = activity.client()
        for case in data.accountability:
            try:
                await open_case(client, case)
                result.accountability_opened += 1
            except WorkflowAlreadyStartedError:
                pass  # opened by an earlier attempt, and perhaps decided: never a second case
        log.info(
            "case.recorded",
            write_ms=round((written - started) * 1000, 1),
            open_ms=round((time.perf_counter() - written) * 1000, 1),
            workflow_id=data.work_order.workflow_id,
            step=data.step,
            state=data.work_order.state.value,
            **result.model_dump(),
        )
        return result

    def _write(self, data: RecordCaseInput) -> RecordCaseResult:
        """One transaction: work order, timeline, escalations, callbacks and outbox."""
        with self.sessions.engine.begin() as connection:  # commits at the end of the block
            result = write_case_rows(connection, data)
            sent = add_messages(connection, data.notifications)
        for notification in sent:
            log_queued(notification)
        result.messages = len(sent)
        return result


def add_messages(session: Db, notifications: list[Notification]) -> list[Notification]:
    """Outbox rows for the messages whose business key has none yet, in one statement; the
    caller commits them with the rest of the flush. Returns the ones added now."""
    by_key = {n.key: n for n in notifications}  # a key twice in one batch is one message
    now = datetime.now(UTC)
    rows = [outbox_row(n, now).model_dump(exclude={"id"}) for n in by_key.values()]
    added = set(_insert_new(session, OutboxMessage, rows, "key"))
    return [n for key, n in by_key.items() if key in added]
