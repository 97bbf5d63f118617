"""Case persistence on SQLite and PostgreSQL: every write is idempotent (docs/temporal-notes.md).

Activities run at least once; these call them directly, twice and out of order, the way a
retry or a replay would.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, func, select
from temporalio.exceptions import ApplicationError

from activities.case_activities import CaseActivities
from activities.case_tables import CallbackRecord, CaseEvent, EscalationRecord, WorkOrder
from activities.db import SessionFactory, init_db
from activities.directory_load import load_directory_file
from activities.notification_tables import OutboxMessage
from activities.notifications import Notification, OutboxSender
from cablecare import REPO_ROOT
from cablecare.domain import CaseState, Kind, Severity
from cablecare.settings import Settings
from workflows.service_request.activity_io import PrepareCaseInput, SyncCaseInput, WorkOrderData
from workflows.service_request.messages import StaffRef
from workflows.service_request.state import CallbackEntry, Escalation, EscalationKind, TimelineEntry

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture
def activities(database_url: str) -> CaseActivities:
    init_db(database_url)
    load_directory_file(database_url, REPO_ROOT / "data" / "sample-directory.json")
    sessions = SessionFactory(database_url)
    return CaseActivities(sessions, OutboxSender(sessions), Settings(database_url=database_url))


def _sync(step: int, state: CaseState, seqs: range) -> SyncCaseInput:
    return SyncCaseInput(
        step=step,
        work_order=WorkOrderData(
            request_id="R-1",
            workflow_id="service-request-R-1",
            kind=Kind.FAULT,
            severity=Severity.ORDINARY,
            channel="phone",
            subscriber_id="SUB-000002",
            area_id="A-HF-01",
            owner_id="CTR-HF-1",
            technician_id="T-HF-01-1",
            state=state,
            priority="normal",
            policy_version="2026.1",
            received_at=T0,
            clock_started_at=T0,
            due_at=T0 + timedelta(hours=24),
            breached=False,
            first_response_at=None,
            resolved_at=None,
            closed_at=None,
            reopened_count=0,
        ),
        events=[TimelineEntry(seq=s, at=T0, type="x") for s in seqs],
        escalations=[
            Escalation(
                key=f"warning-1-{step}",
                kind=EscalationKind.WARNING,
                rule="R7.3",
                at=T0,
                to=["T-HF-01-1"],
                reason="r",
            )
        ],
        callbacks=[
            CallbackEntry(
                seq=step,
                agent_id="CB-HF-1",
                at=T0,
                reached=True,
                satisfied=True,
                problem_found=False,
                note="",
            )
        ],
    )


def _count(activities: CaseActivities, table: type) -> int:
    with activities.sessions() as session:
        return session.exec(select(func.count()).select_from(table)).one()


def test_r7_1_sync_twice_and_out_of_order_writes_each_row_once(activities: CaseActivities) -> None:
    activities.sync_case(_sync(3, CaseState.ASSIGNED, range(1, 4)))
    activities.sync_case(_sync(3, CaseState.ASSIGNED, range(1, 4)))  # a retry
    activities.sync_case(_sync(5, CaseState.IN_PROGRESS, range(4, 6)))
    activities.sync_case(_sync(3, CaseState.ASSIGNED, range(1, 4)))  # a late duplicate
    assert _count(activities, CaseEvent) == 5
    assert _count(activities, EscalationRecord) == 2
    assert _count(activities, CallbackRecord) == 2
    with activities.sessions() as session:
        order = session.get(WorkOrder, "R-1")
        assert order is not None and order.state == "in_progress" and order.last_step == 5


def test_notification_is_sent_once_per_key(activities: CaseActivities, database_url: str) -> None:
    sender = OutboxSender(SessionFactory(database_url))
    note = Notification(
        key="R-1/case_resolved/SUB-000002/7",
        channel="sms",
        recipient_kind="subscriber",
        recipient_id="SUB-000002",
        template="case_resolved",
        params={"request_id": "R-1"},
    )
    assert sender.send(note) is True
    assert sender.send(note) is False
    with Session(activities.sessions.engine) as session:
        rows = session.exec(select(OutboxMessage)).all()
    assert len(rows) == 1 and "R-1" in rows[0].body


def test_r8_1_intake_reads_the_directory_and_leaves_the_trainee_out(
    activities: CaseActivities,
) -> None:
    ctx = activities.prepare_case(
        PrepareCaseInput(
            request_id="R-1",
            subscriber_id="SUB-000001",
            received_by=[StaffRef(staff_id="CTR-HF-1", rank=1)],
        )
    )
    assert ctx.area_id == "A-HF-01" and ctx.key_account and ctx.area_technician_id == "T-HF-01-1"
    assert "T-HF-TRAINEE" not in ctx.roster and "technician" in ctx.roster["T-HF-02-1"]
    assert ctx.supervisors == ["SUP-HF-01"] and "LDR-HF" in ctx.leaders
    with pytest.raises(ApplicationError, match="unknown subscriber"):
        activities.prepare_case(
            PrepareCaseInput(
                request_id="R-2",
                subscriber_id="SUB-NOPE",
                received_by=[StaffRef(staff_id="CTR-HF-1", rank=1)],
            )
        )
    with pytest.raises(ApplicationError, match="not in the directory: GHOST"):
        activities.prepare_case(
            PrepareCaseInput(
                request_id="R-3",
                subscriber_id="SUB-000001",
                received_by=[StaffRef(staff_id="GHOST", rank=9)],
            )
        )
