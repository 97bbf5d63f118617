"""R6 accountability: the AccountabilityCase workflow on the real dev server, real durations.

Each test uses its own case id and, where prior violations matter (R6.6), a staff member no
other test accuses, because the session worker's database is shared.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session, select
from temporalio import activity
from temporalio.client import (
    Client,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateStage,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Worker

from activities.accountability_activities import AccountabilityActivities
from activities.accountability_tables import AccountabilityRecord
from activities.db import SessionFactory, get_engine, init_db
from activities.directory_load import load_directory_file
from activities.notification_tables import OutboxMessage
from activities.notifications import OutboxSender
from cablecare import REPO_ROOT
from cablecare.calendar import load_calendar
from cablecare.domain import AccountabilitySeverity as Sev
from cablecare.policy import load_policy
from cablecare.settings import Settings
from starter.accountability import open_case
from workflows.accountability.activity_io import (
    OpenCaseInput,
    OpenCaseResult,
    RecordDecisionInput,
    RecordStatementInput,
)
from workflows.accountability.messages import (
    UPDATE_DECIDE,
    UPDATE_SUBMIT_STATEMENT,
    AccountabilityCaseInput,
    AccountabilityState,
    AccountabilityStatus,
    Aggravating,
    DecideUpdate,
    Decision,
    Mitigating,
    SubmitStatementUpdate,
)
from workflows.accountability.outcome import LADDER, effective_aggravating, final_severity
from workflows.accountability.wording import deadline_text
from workflows.accountability.workflow import AccountabilityCase

Handle = WorkflowHandle[Any, AccountabilityStatus]


# ---- pure severity rules (R6.6, R6.7), property-based -------------------------------------


@given(
    st.sampled_from(LADDER),
    st.lists(st.sampled_from(Aggravating), max_size=4),
    st.lists(st.sampled_from(Mitigating), max_size=3),
)
def test_r6_6_r6_7_one_step_heavier_or_lighter(
    requested: Sev, aggravating: list[Aggravating], mitigating: list[Mitigating]
) -> None:
    final = final_severity(requested, aggravating, mitigating)
    step = bool(aggravating) - bool(mitigating)
    i = LADDER.index(requested)
    if step == 0:
        assert final == requested  # nothing, or both: they cancel out
    elif step > 0:
        assert final == LADDER[min(i + 1, len(LADDER) - 1)]
    else:
        assert final == (LADDER[i - 1] if i > 0 else None)  # R6.7 "or none"


@given(st.integers(min_value=0, max_value=10), st.integers(min_value=1, max_value=5))
def test_r6_6_repeat_violations_found_automatically(prior: int, threshold: int) -> None:
    """(六)6 两次以上 counts the act being decided: `prior` earlier acts make prior + 1."""
    found = effective_aggravating([Aggravating.RETALIATION], prior, threshold)
    assert (Aggravating.REPEAT_VIOLATIONS in found) == (prior + 1 >= threshold)
    assert Aggravating.RETALIATION in found and len(found) == len(set(found))


def test_r6_8_deadline_reads_as_end_of_day() -> None:
    tz = timezone(timedelta(hours=8))
    assert deadline_text(datetime(2026, 3, 6, 0, 0, tzinfo=tz)) == "2026-03-05 24:00"
    assert deadline_text(datetime(2026, 3, 6, 9, 30, tzinfo=tz)) == "2026-03-06 09:30"


# ---- helpers ------------------------------------------------------------------------------


def case_input(staff_id: str, **extra: Any) -> AccountabilityCaseInput:
    data: dict[str, Any] = {
        "case_id": f"T-{uuid.uuid4().hex[:12]}",
        "staff_id": staff_id,
        "lead_id": "SUP-HF-01",
        "rule": "R4.3",
        "violation": "ordinary fault not solved within 24 h",
    }
    return AccountabilityCaseInput(**(data | extra))


async def until(probe: Callable[[], Awaitable[bool]], what: str, seconds: float = 10) -> None:
    """Poll briefly instead of sleeping a fixed time: the workflow reacts within milliseconds."""
    for _ in range(int(seconds / 0.05)):
        if await probe():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def status(handle: Handle) -> AccountabilityStatus:
    return await handle.query("status", result_type=AccountabilityStatus)


async def opened(
    client: Client, staff_id: str, **extra: Any
) -> tuple[Handle, AccountabilityStatus]:
    handle = await open_case(client, case_input(staff_id, **extra))
    await until(lambda: _due_known(handle), "the case to open")
    return handle, await status(handle)


async def state_is(handle: Handle, state: AccountabilityState) -> None:
    async def probe() -> bool:
        return (await status(handle)).state == state

    await until(probe, f"state {state.value}")


async def give_statement(handle: Handle, staff_id: str, text: str = "Parts were late.") -> None:
    await handle.execute_update(
        UPDATE_SUBMIT_STATEMENT, SubmitStatementUpdate(staff_id=staff_id, statement=text)
    )


async def decide(handle: Handle, severity: Sev, by: str = "SUP-HF-01", **extra: Any) -> Any:
    update = DecideUpdate(supervisor_id=by, severity=severity, **extra)
    return await handle.execute_update(UPDATE_DECIDE, update, result_type=AccountabilityStatus)


async def refused(call: Awaitable[Any]) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await call
    assert isinstance(info.value.cause, ApplicationError)
    return str(info.value.cause.message)


def record(settings: Settings, case_id: str) -> AccountabilityRecord | None:
    with Session(get_engine(settings.database_url)) as session:
        return session.get(AccountabilityRecord, case_id)


async def update_events(client: Client, handle: Handle) -> int:
    history = await client.get_workflow_handle(handle.id).fetch_history()
    return sum(1 for e in history.events if "update" in str(e.WhichOneof("attributes")))


# ---- the workflow on the real server ------------------------------------------------------


async def test_r6_8_decision_refused_before_statement(client: Client, worker: Worker) -> None:
    handle, s = await opened(client, "T-HF-01-2")
    policy = load_policy(Settings().policy_path)
    calendar = load_calendar(Settings(), timezone=policy.timezone)
    assert s.statement_due_at == calendar.end_of_nth_working_day(s.opened_at, 3)
    message = await refused(decide(handle, Sev.MINOR))
    assert "R6.8" in message and "until" in message
    assert await update_events(client, handle) == 0  # a refused update leaves no trace
    assert (await status(handle)).state == AccountabilityState.AWAITING_STATEMENT


async def test_r6_8_statement_refusals(client: Client, worker: Worker) -> None:
    handle, _ = await opened(client, "T-HF-03-1", lead_id=None)  # the post holder alone
    assert "Only the parties concerned" in await refused(give_statement(handle, "T-HF-01-1"))
    await give_statement(handle, "T-HF-03-1")
    assert "already given" in await refused(give_statement(handle, "T-HF-03-1"))
    await decide(handle, Sev.MINOR, by="SUP-HF-03")  # (六)4 their own superior
    # The decision closes the case; the validators refuse while it records, the server after.
    for late in (give_statement(handle, "T-HF-03-1"), decide(handle, Sev.GRAVE, by="SUP-HF-03")):
        with pytest.raises(RPCError, match="already completed"):
            await late


async def test_r6_8_missed_statement_deadline_lets_decision_proceed(
    client: Client, worker: Worker, env: WorkflowEnvironment, worker_settings: Settings
) -> None:
    """(六)8 for both parties ((六)5): neither gave a statement in time; both are decided."""
    handle, s = await opened(client, "T-FD-01-2", lead_id="SUP-FD-01")
    assert s.statement_due_at is not None
    await env.fast_forward(handle, s.statement_due_at - s.opened_at - timedelta(minutes=1))
    assert "R6.8" in await refused(decide(handle, Sev.MINOR, by="SUP-FD-01"))  # a minute early
    await env.fast_forward(handle, timedelta(minutes=2))
    await state_is(handle, AccountabilityState.READY_FOR_DECISION)
    now = await status(handle)
    assert now.statement_missed and now.lead is not None and now.lead.statement_missed
    result = await decide(handle, Sev.MINOR, by="SUP-FD-01")  # the post holder's superior
    assert result.decision.final_severity == Sev.MINOR
    await decide(handle, Sev.MINOR, by="LDR-FD", party_id="SUP-FD-01")  # the lead's superior
    final = await handle.result()
    assert final.state == AccountabilityState.DECIDED and final.lead.decision is not None
    row = record(worker_settings, s.case_id)
    assert row is not None and row.statement_missed and row.statement is None
    assert row.lead_statement_missed and row.lead_final_severity == "minor"


async def test_r6_6_two_prior_violations_aggravate(
    client: Client, worker: Worker, worker_settings: Settings
) -> None:
    staff = "T-FD-02-2"
    now = datetime.now(UTC)
    with Session(get_engine(worker_settings.database_url)) as session:
        for days_ago in (30, 200, 400):  # the 400-day-old one is outside the year
            session.add(
                AccountabilityRecord(
                    case_id=f"OLD-{uuid.uuid4().hex[:12]}",
                    workflow_id="seeded",
                    staff_id=staff,
                    rule="R4.3",
                    violation="seeded earlier violation",
                    opened_at=now - timedelta(days=days_ago),
                    decided_at=now - timedelta(days=days_ago - 5),
                    final_severity="minor",
                )
            )
        session.commit()
    handle, s = await opened(client, staff, lead_id="SUP-FD-02")
    assert s.prior_violations == 2
    await give_statement(handle, staff)
    result = await decide(handle, Sev.MINOR, by="SUP-FD-02")
    assert result.decision.aggravating == [Aggravating.REPEAT_VIOLATIONS]
    assert result.decision.final_severity == Sev.SERIOUS
    row = record(worker_settings, s.case_id)
    assert (
        row is not None and row.aggravating == ["repeat_violations"] and row.prior_violations == 2
    )


async def test_r6_7_mitigating_reduces_to_none(
    client: Client, worker: Worker, worker_settings: Settings
) -> None:
    handle, s = await opened(client, "T-HF-04-2")
    assert s.prior_violations == 0
    await give_statement(handle, "T-HF-04-2", "Apologised; the customer forgave me.")
    result = await decide(
        handle, Sev.MINOR, by="SUP-HF-04", mitigating=[Mitigating.APOLOGISED_AND_FORGIVEN]
    )
    assert result.decision.final_severity is None
    assert result.decision.outcome_zh == "不予处分"
    row = record(worker_settings, s.case_id)
    assert row is not None and row.final_severity is None and row.requested_severity == "minor"


async def test_r6_5_outcome_from_policy(
    client: Client, worker: Worker, worker_settings: Settings
) -> None:
    handle, s = await opened(client, "T-HF-02-2", lead_id=None)
    await give_statement(handle, "T-HF-02-2")
    result = await decide(handle, Sev.GRAVE, by="SUP-HF-02", note="third missed appointment")
    expected = load_policy(worker_settings.policy_path).accountability.outcome_for(Sev.GRAVE)
    # (六)5 in the seed's words: 通報批評, 當事人行政和經濟處罰, 主要負責人的領導責任
    for words in ("通报批评", "当事人行政和经济处罚", "主要负责人的领导责任"):
        assert words in expected.outcome_zh
    assert result.decision.outcome_zh == expected.outcome_zh
    assert result.decision.outcome_en == expected.outcome_en
    final = await handle.result()
    assert final.decision is not None and final.decision.final_severity == Sev.GRAVE
    row = record(worker_settings, s.case_id)
    assert row is not None and row.outcome == expected.outcome_zh and row.final_severity == "grave"


async def test_r6_1_decision_needs_a_supervisor(client: Client, worker: Worker) -> None:
    """(六)4: CTR-HF-2 reports to WL-HF; a supervisor of the same company (SUP-HF-03) is no
    longer enough (it was before issue 11)."""
    handle, _ = await opened(client, "CTR-HF-2")
    await give_statement(handle, "CTR-HF-2")
    for not_allowed in ("LDR-HF", "T-HF-01-1", "SUP-FD-01", "NOBODY-9", "SUP-HF-03"):
        message = await refused(decide(handle, Sev.MINOR, by=not_allowed))
        assert "needs a supervisor" in message
    assert await update_events(client, handle) == 2  # only the accepted statement
    await decide(handle, Sev.MINOR, by="WL-HF")


async def test_r6_8_no_second_decision_while_the_first_records(client: Client) -> None:
    """The validators refuse a second decision, and a statement, while a decision records.

    Mocked activities (same names) on a private task queue hold the recording open."""
    release = asyncio.Event()

    @activity.defn(name="open_accountability_case")
    async def open_mock(data: OpenCaseInput) -> OpenCaseResult:
        policy = load_policy(Settings().policy_path).accountability
        return OpenCaseResult(
            policy_version="test",
            statement_working_days=3,
            statement_due_at=data.opened_at + timedelta(days=3),
            prior_violations=0,
            aggravating_violation_count=2,
            supervisors=["SUP-HF-01"],
            outcomes=policy.outcomes,
        )

    @activity.defn(name="record_accountability_statement")
    async def statement_mock(data: RecordStatementInput) -> None:
        return None

    @activity.defn(name="record_accountability_decision")
    async def decision_mock(data: RecordDecisionInput) -> None:
        await release.wait()

    queue = f"acc-{uuid.uuid4()}"
    mocks: list[Callable[..., Any]] = [open_mock, statement_mock, decision_mock]
    async with Worker(client, task_queue=queue, workflows=[AccountabilityCase], activities=mocks):
        data = case_input("T-HF-01-1", lead_id=None)
        handle: Handle = await client.start_workflow(
            AccountabilityCase.run, data, id=f"accountability-{data.case_id}", task_queue=queue
        )
        await until(lambda: _due_known(handle), "the case to open")
        await give_statement(handle, "T-HF-01-1")
        first = await handle.start_update(
            UPDATE_DECIDE,
            DecideUpdate(supervisor_id="SUP-HF-01", severity=Sev.MINOR),
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
            result_type=AccountabilityStatus,
        )
        assert "second decision" in await refused(decide(handle, Sev.GRAVE))
        assert "already been decided" in await refused(give_statement(handle, "T-HF-01-1"))
        release.set()
        assert (await first.result()).decision is not None
        assert (await handle.result()).state == AccountabilityState.DECIDED


async def _due_known(handle: Handle) -> bool:
    return (await status(handle)).statement_due_at is not None


async def test_r6_1_unknown_staff_fails_at_once(client: Client, worker: Worker) -> None:
    handle = await open_case(client, case_input("NOBODY-1"))
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    assert isinstance(info.value.cause, ApplicationError)
    assert "Unknown staff member NOBODY-1" in info.value.cause.message


async def test_r6_1_opening_twice_is_one_case(client: Client, worker: Worker) -> None:
    data = case_input("WL-HF")
    first = await open_case(client, data)
    second = await open_case(client, data)
    assert first.result_run_id == second.result_run_id


def test_r6_persistence_is_idempotent(database_url: str) -> None:
    """Activities run at least once: re-running them leaves one record and one message per key."""
    init_db(database_url)
    load_directory_file(database_url, REPO_ROOT / "data" / "sample-directory.json")
    sessions = SessionFactory(database_url)
    acts = AccountabilityActivities(sessions, OutboxSender(sessions), Settings())
    data = case_input("T-HF-01-1")
    opening = OpenCaseInput(
        workflow_id=f"accountability-{data.case_id}", case=data, opened_at=datetime.now(UTC)
    )
    decision = Decision(
        supervisor_id="SUP-HF-01",
        requested_severity=Sev.MINOR,
        final_severity=Sev.MINOR,
        outcome_zh="告诫",
        outcome_en="Admonition",
        aggravating=[],
        mitigating=[],
        note="",
        decided_at=datetime.now(UTC),
    )
    env = ActivityEnvironment()
    for _ in range(2):
        result = env.run(acts.open_accountability_case, opening)
        env.run(
            acts.record_accountability_decision,
            RecordDecisionInput(
                workflow_id=opening.workflow_id,
                case_id=data.case_id,
                staff_id=data.staff_id,
                decision=decision,
            ),
        )
    assert "SUP-HF-01" in result.supervisors and "SUP-FD-01" not in result.supervisors
    with sessions() as session:
        rows = session.exec(
            select(AccountabilityRecord).where(AccountabilityRecord.case_id == data.case_id)
        ).all()
        keys = session.exec(
            select(OutboxMessage.key).where(OutboxMessage.key.startswith(opening.workflow_id))  # type: ignore[attr-defined]
        ).all()
    assert len(rows) == 1 and rows[0].outcome == "告诫"
    assert sorted(keys) == sorted(
        f"{opening.workflow_id}/{step}/{who}"
        for step, who in (
            ("opened", "T-HF-01-1"),
            ("opened", "SUP-HF-01"),
            ("decided", "T-HF-01-1"),
        )
    )
