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
from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from temporalio import activity
from temporalio.exceptions import WorkflowAlreadyStartedError

from activities.case_tables import CallbackRecord, CaseEvent, EscalationRecord, WorkOrder
from activities.db import SessionFactory
from activities.notifications import add_new_messages, log_queued
from starter.accountability import open_case
from workflows.service_request.activity_io import (
    RECORD_CASE,
    RecordCaseInput,
    RecordCaseResult,
    SyncCaseInput,
)

log = structlog.get_logger(__name__)


def write_case_rows(session: Session, data: SyncCaseInput) -> RecordCaseResult:
    """Add to `session` the work order (newest step wins) and the timeline, escalation and
    callback rows not written yet; the caller commits."""
    wo = data.work_order
    row = session.get(WorkOrder, wo.request_id)
    if row is None:
        session.add(WorkOrder(**wo.model_dump(), last_step=data.step))
    elif row.last_step <= data.step:
        for field, value in wo.model_dump().items():
            setattr(row, field, value)
        row.last_step = data.step
    wf, req, area = wo.workflow_id, wo.request_id, wo.area_id
    events = {
        e.seq: CaseEvent(workflow_id=wf, request_id=req, **e.model_dump()) for e in data.events
    }
    escalations = {
        x.key: EscalationRecord(workflow_id=wf, request_id=req, area_id=area, **x.model_dump())
        for x in data.escalations
    }
    callbacks = {
        c.seq: CallbackRecord(workflow_id=wf, request_id=req, area_id=area, **c.model_dump())
        for c in data.callbacks
    }
    return RecordCaseResult(
        events=_insert_new(session, CaseEvent, CaseEvent.seq, wf, events),
        escalations=_insert_new(session, EscalationRecord, EscalationRecord.key, wf, escalations),
        callbacks=_insert_new(session, CallbackRecord, CallbackRecord.seq, wf, callbacks),
    )


def _insert_new(
    session: Session, table: Any, key_column: Any, workflow_id: str, rows: dict[Any, Any]
) -> int:
    """Insert the rows whose (workflow ID, key) is not there yet: each exactly once."""
    if not rows:
        return 0
    have = set(
        session.exec(
            select(key_column).where(table.workflow_id == workflow_id, col(key_column).in_(rows))
        )
    )
    new = [row for key, row in rows.items() if key not in have]
    session.add_all(new)
    return len(new)


class CaseRecordActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    def activities(self) -> list[Callable[..., Any]]:
        return [self.record_case]

    @activity.defn(name=RECORD_CASE)
    async def record_case(self, data: RecordCaseInput) -> RecordCaseResult:
        """Write one committed flush in one transaction, then open its accountability cases."""
        result = await asyncio.to_thread(self._write, data)
        client = activity.client()
        for case in data.accountability:
            try:
                await open_case(client, case)
                result.accountability_opened += 1
            except WorkflowAlreadyStartedError:
                pass  # opened by an earlier attempt, and perhaps decided: never a second case
        log.info(
            "case.recorded",
            workflow_id=data.work_order.workflow_id,
            step=data.step,
            state=data.work_order.state.value,
            **result.model_dump(),
        )
        return result

    def _write(self, data: RecordCaseInput) -> RecordCaseResult:
        # Two attempts: an earlier attempt of this activity that timed out may still be
        # committing the same rows; on the second pass they are found and skipped.
        for attempt in (1, 2):
            with self.sessions() as session:
                result = write_case_rows(session, data)
                sent = add_new_messages(session, data.notifications)
                try:
                    session.commit()
                except IntegrityError:
                    session.rollback()
                    if attempt == 2:
                        raise
                    continue
            for notification in sent:
                log_queued(notification)
            result.messages = len(sent)
            return result
        raise AssertionError("unreachable")
