"""Hostile edges of the input (issue 9 items 3, 4, 5, 7): what a database cannot store, times
out of bounds, a request id used twice, and the type of every refusal a caller sees.

The live tests run a worker of their own on a fresh database (SQLite and PostgreSQL): an
accepted message must still write its records there.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from sqlmodel import Session, select
from temporalio.client import (
    Client,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities.case_tables import CaseEvent, WorkOrder
from activities.db import get_engine, init_db
from activities.directory_load import DirectoryLoadError, load_directory_file
from cablecare import REPO_ROOT
from cablecare.settings import Settings
from cablecare.storable import unstorable_character
from tests.cases import AREA_TECH, COUNTER, LEADER, new_request
from worker.build import build_worker
from workflows.accountability import messages as am
from workflows.maintenance import messages as mm
from workflows.service_request import messages as m
from workflows.service_request.messages import ServiceRequestInput, Update, workflow_id

SAMPLE = REPO_ROOT / "data" / "sample-directory.json"
NOW = datetime.now(UTC)
SOON = (NOW + timedelta(days=3)).isoformat()
LATER = (NOW + timedelta(days=3, hours=4)).isoformat()

# Every message with free text: a valid payload and its free-text fields (issue 9.3).
TEXT_FIELDS: list[tuple[type[BaseModel], dict[str, Any], list[str]]] = [
    (
        ServiceRequestInput,
        new_request().model_dump(mode="json", exclude={"received_at"}) | {"materials": ["id_card"]},
        ["description", "materials.0"],
    ),
    (m.SubmitMaterialsUpdate, {"by": "X", "items": ["id_card"]}, ["items.0"]),
    (m.AcknowledgeUpdate, {"by": "X", "note": "ok"}, ["note"]),
    (
        m.ReferUpdate,
        {"by": "X", "department": "d", "contact": "c", "reason": "r"},
        ["department", "contact", "reason"],
    ),
    (m.ReportProgressUpdate, {"technician_id": "X", "status": "en_route", "note": "n"}, ["note"]),
    (m.ResolveUpdate, {"by": "X", "resolution": "fixed"}, ["resolution"]),
    (
        m.ReportUnreachableUpdate,
        {"technician_id": "X", "reason": "not_home", "report": "r"},
        ["report"],
    ),
    (m.RequestExtensionUpdate, {"by": "X", "reason": "r", "extra_hours": 4}, ["reason"]),
    (m.DecideExtensionUpdate, {"leader_id": "X", "approved": True, "note": "n"}, ["note"]),
    (m.ForceMajeureUpdate, {"leader_id": "X", "reason": "flood"}, ["reason"]),
    (
        m.RecordCallbackUpdate,
        {"agent_id": "X", "reached": True, "satisfied": True, "note": "n"},
        ["note"],
    ),
    (m.CancelUpdate, {"by": "X", "reason": "r"}, ["reason"]),
    (m.ProgressSignal, {"type": "progress", "technician_id": "X", "status": "on_site"}, []),
    (m.ResolveSignal, {"type": "resolve", "by": "X", "resolution": "r"}, ["resolution"]),
    (
        m.UnreachableSignal,
        {"type": "unreachable", "technician_id": "X", "reason": "not_home", "report": "r"},
        ["report"],
    ),
    (
        am.AccountabilityCaseInput,
        {"case_id": "C-1", "staff_id": "X", "rule": "R4.3", "violation": "late"},
        ["violation"],
    ),
    (am.SubmitStatementUpdate, {"staff_id": "X", "statement": "s"}, ["statement"]),
    (am.DecideUpdate, {"supervisor_id": "X", "severity": "minor", "note": "n"}, ["note"]),
    (
        mm.MaintenanceNoticeInput,
        {
            "notice_id": "N-1",
            "area_ids": ["A-1"],
            "starts_at": SOON,
            "ends_at": LATER,
            "kind": "line_maintenance",
            "text": "t",
        },
        ["text"],
    ),
    (mm.ChangeUpdate, {"by": "X", "starts_at": SOON, "ends_at": LATER, "text": "t"}, ["text"]),
    (mm.CancelUpdate, {"by": "X", "reason": "r"}, ["reason"]),
]

# Characters a database cannot store or that are control characters; \n and \t are text.
BAD = st.sampled_from(["\x00", "\x01", "\x07", "\x1b", "\x7f", "\x85", "\r", "\ud800"])
GOOD = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs")) | st.sampled_from("\n\t"),
    min_size=1,
    max_size=30,
).filter(lambda t: t.strip() != "")


def _set(body: dict[str, Any], path: str, value: str) -> dict[str, Any]:
    body = json.loads(json.dumps(body))
    name, _, index = path.partition(".")
    if index:
        body[name][int(index)] = value
    else:
        body[name] = value
    return body


def test_9_3_every_message_names_its_free_text_fields() -> None:
    # Each listed field accepts ordinary text (the base payloads are valid).
    for model, base, _fields in TEXT_FIELDS:
        model.model_validate(base)


@settings(max_examples=60, deadline=None, database=None, derandomize=True)
@given(
    which=st.integers(0, 1000),
    prefix=GOOD,
    bad=BAD,
    suffix=GOOD,
)
def test_9_3_nul_and_control_characters_are_refused_in_every_text_field_with_the_field_named(
    which: int, prefix: str, bad: str, suffix: str
) -> None:
    cases = [(model, base, f) for model, base, fields in TEXT_FIELDS for f in fields]
    model, base, field = cases[which % len(cases)]
    value = prefix[:15] + bad + suffix[:15]  # inside the text: trimming cannot remove it
    with pytest.raises(ValidationError) as refused:
        model.model_validate(_set(base, field, value))
    locs = [".".join(map(str, e["loc"])) for e in refused.value.errors()]
    assert any(field in loc for loc in locs), (model.__name__, field, locs)


@settings(max_examples=60, deadline=None, database=None, derandomize=True)
@given(text=GOOD)
def test_9_3_newline_tab_and_any_printable_text_are_accepted(text: str) -> None:
    assert unstorable_character(text) is None
    m.ResolveUpdate.model_validate({"by": "X", "resolution": text})


def _directory(tmp_path: Path, where: str, value: str) -> Path:
    doc = json.loads(SAMPLE.read_text("utf-8"))
    section, field = where.split(".")
    doc[section][0][field] = value
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(doc), "utf-8")
    return path


@pytest.mark.parametrize(
    "where", ["areas.name", "staff.name", "staff.phone", "subscribers.address"]
)
def test_9_3_directory_json_refuses_control_characters_naming_row_and_field(
    tmp_path: Path, where: str
) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    init_db(db)
    with pytest.raises(DirectoryLoadError) as refused:
        load_directory_file(db, _directory(tmp_path, where, "Wang\x00Li"))
    section, field = where.split(".")
    assert f"{section} row 1, field {field}: " in str(refused.value)
    assert "U+0000" in str(refused.value)


def test_9_3_directory_csv_refuses_control_characters_naming_line_and_field(
    tmp_path: Path,
) -> None:
    from activities.directory_load import load_directory_csv

    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "areas.csv").write_text(
        "area_id,name,setting,company,households,technician_id,service_phone,supervision_phone\n"
        "A-X,Bell\x07town,urban,city,10,T-HF-01-1,1,2\n",
        "utf-8",
    )
    db = f"sqlite:///{tmp_path / 'c.db'}"
    init_db(db)
    load_directory_file(db, SAMPLE)
    with pytest.raises(DirectoryLoadError) as refused:
        load_directory_csv(db, folder)
    assert "areas row 1 (line 2), field name: " in str(refused.value)
    assert "U+0007" in str(refused.value)


# --- live: a worker on each database -------------------------------------------------------


@pytest_asyncio.fixture
async def db_worker(client: Client, database_url: str) -> AsyncIterator[tuple[str, str]]:
    """A worker of its own on a fresh database (SQLite, PostgreSQL); yields (url, queue)."""
    init_db(database_url)
    load_directory_file(database_url, SAMPLE)
    queue = f"edges-{uuid.uuid4().hex[:8]}"
    worker = build_worker(client, Settings(database_url=database_url, auth="off"), task_queue=queue)
    async with worker:
        yield database_url, queue


async def _start(client: Client, queue: str, body: dict[str, Any]) -> WorkflowHandle[Any, Any]:
    return await client.start_workflow(
        "ServiceRequest", body, id=workflow_id(body["request_id"]), task_queue=queue
    )


async def _snapshot(handle: WorkflowHandle[Any, Any], state: str | None = None) -> dict[str, Any]:
    for _ in range(300):
        try:
            snap = dict(await handle.query("status"))
            if state is None or snap["state"] == state:
                return snap
        except Exception as err:
            if "being registered" not in str(err):
                raise
        await asyncio.sleep(0.05)
    raise AssertionError(f"{handle.id}: no status{f' in state {state}' if state else ''}")


def _rows(url: str, request_id: str) -> tuple[WorkOrder | None, list[str]]:
    with Session(get_engine(url)) as session:
        wo = session.get(WorkOrder, request_id)
        wid = workflow_id(request_id)
        notes = [
            e.detail for e in session.exec(select(CaseEvent).where(CaseEvent.workflow_id == wid))
        ]
        return wo, notes


async def _records_reach(url: str, request_id: str, state: str, note: str) -> None:
    for _ in range(300):
        wo, details = await asyncio.to_thread(_rows, url, request_id)
        if wo is not None and wo.state == state and any(note in d for d in details):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{request_id}: records never reached {state} with the note")


def _body(**fields: Any) -> dict[str, Any]:
    return new_request(**fields).model_dump(mode="json", exclude_none=True)


async def test_9_3_start_inputs_and_updates_with_any_text_on_sqlite_and_postgresql(
    client: Client, db_worker: tuple[str, str]
) -> None:
    """Property over start inputs and every text-carrying update on a real database: text with
    a control character is refused before it reaches the case; any other text is accepted and
    its records are written (on PostgreSQL the NUL once broke every later write)."""
    url, queue = db_worker
    loop = asyncio.get_running_loop()

    async def one(description: str, note: str) -> None:
        body = _body() | {"description": description}  # as a foreign client sends it
        bad_start = unstorable_character(description) is not None
        if bad_start:
            handle = await _start(client, queue, body)
            with pytest.raises(WorkflowFailureError) as failed:
                await asyncio.wait_for(handle.result(), 30)
            cause = failed.value.cause
            assert isinstance(cause, ApplicationError) and cause.type == "InvalidInput"
            assert "description" in cause.message and cause.non_retryable
            return
        handle = await _start(client, queue, body)
        await _snapshot(handle, "assigned")
        update = {"technician_id": AREA_TECH, "status": "en_route", "note": note}
        if unstorable_character(note) is not None:
            with pytest.raises(WorkflowUpdateFailedError) as refused:
                await handle.execute_update(Update.REPORT_PROGRESS.value, update)
            cause = refused.value.cause
            assert isinstance(cause, ApplicationError) and cause.type == "InvalidInput"
            assert "note" in cause.message and cause.non_retryable
            note = ""  # the case goes on: the next valid message still records
        else:
            await handle.execute_update(Update.REPORT_PROGRESS.value, update)
        resolution = f"fixed {uuid.uuid4().hex[:6]}"
        await handle.execute_update(
            Update.RESOLVE.value, {"by": AREA_TECH, "resolution": resolution}
        )
        await _records_reach(url, body["request_id"], "awaiting_callback", resolution)
        await handle.terminate("test done")

    # A lone surrogate cannot even be encoded by a Python client; the model test covers it.
    live_bad = BAD.filter(lambda c: c != "\ud800")
    text = st.one_of(GOOD, st.tuples(GOOD, live_bad, GOOD).map("".join))

    @settings(
        max_examples=8,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(description=text, note=text)
    def prop(description: str, note: str) -> None:
        asyncio.run_coroutine_threadsafe(one(description, note), loop).result(timeout=120)

    await asyncio.wait_for(asyncio.to_thread(prop), 600)


# --- 9.4 time bounds ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:00+00:00", "1999-12-31T23:00:00+00:00"],
)
def test_9_4_every_timestamp_is_bounded_in_every_message(value: str) -> None:
    for model, base in [
        (ServiceRequestInput, _body() | {"received_at": value}),
        (m.ScheduleVisitUpdate, {"technician_id": "X", "window_start": value, "window_end": LATER}),
        (am.AccountabilityCaseInput, TEXT_FIELDS[-5][1] | {"occurred_at": value}),
        (mm.ChangeUpdate, {"by": "X", "starts_at": value, "ends_at": LATER}),
    ]:
        with pytest.raises(ValidationError, match="outside the accepted range"):
            model.model_validate(base)
    with pytest.raises(ValidationError, match="UTC offset"):
        ServiceRequestInput.model_validate(_body() | {"received_at": "2026-11-25T09:00:00"})


async def _fails_with(handle: WorkflowHandle[Any, Any], kind: str, words: str) -> ApplicationError:
    with pytest.raises(WorkflowFailureError) as failed:
        await asyncio.wait_for(handle.result(), 30)
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError), cause
    assert cause.type == kind and cause.non_retryable, (cause.type, cause.message)
    assert words in cause.message, cause.message
    return cause


@pytest.mark.usefixtures("worker")
async def test_9_4_received_at_older_than_the_window_or_in_the_future_fails_the_case(
    client: Client,
) -> None:
    old = _body(received_at=(NOW - timedelta(days=8)).isoformat())
    handle = await _start(client, "cable-service", old)
    await _fails_with(handle, "InvalidInput", "more than 7 days before the start")
    # 13.5: the status query of the failed case says that it failed, and why.
    with pytest.raises(Exception, match="not registered: received_at .* more than 7 days"):
        await handle.query("status")

    future = _body(received_at=(NOW + timedelta(hours=1)).isoformat())
    await _fails_with(await _start(client, "cable-service", future), "InvalidInput", "future")
    # A refused start does not use up the request id: the corrected start is a case.
    fixed = old | {"received_at": (NOW - timedelta(days=1)).isoformat()}
    handle = await client.start_workflow(
        "ServiceRequest",
        fixed,
        id=workflow_id(fixed["request_id"]),
        task_queue="cable-service",
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )
    assert (await _snapshot(handle))["request_id"] == fixed["request_id"]
    await handle.terminate("test done")


@pytest.mark.usefixtures("worker")
async def test_9_4_imported_request_breaches_at_once_but_opens_no_accountability(
    env: WorkflowEnvironment,
) -> None:
    body = _body(received_at=(NOW - timedelta(days=30)).isoformat(), imported=True)
    handle = await _start(env.client, "cable-service", body)
    snap = await _snapshot(handle, "assigned")
    for _ in range(100):
        snap = await _snapshot(handle)
        if snap["clock"]["breached"]:
            break
        await asyncio.sleep(0.05)
    assert snap["clock"]["breached"], "an old imported request is overdue at once"
    breach = [e for e in snap["escalations"] if e["kind"] == "breach"]
    assert breach and all(e["accountability_case_id"] is None for e in breach)
    assert any(e["type"] == "accountability.waived" for e in snap["timeline"])
    await handle.terminate("test done")

    # Without the import flag the same request is refused, and with it received_at is needed.
    await _fails_with(
        await _start(
            env.client,
            "cable-service",
            body | {"imported": False, "request_id": f"T-{uuid.uuid4().hex[:8]}"},
        ),
        "InvalidInput",
        "imported",
    )
    no_time = _body(imported=True)
    await _fails_with(
        await _start(env.client, "cable-service", no_time), "InvalidInput", "received_at"
    )


def test_9_4_deadline_that_cannot_be_computed_is_a_final_failure(tmp_path: Path) -> None:
    from activities.case_activities import CaseActivities
    from activities.db import SessionFactory
    from activities.notifications import OutboxSender
    from cablecare.policy import TimeLimit
    from workflows.service_request.activity_io import DeadlineInput

    db = f"sqlite:///{tmp_path / 'c.db'}"
    init_db(db)
    sessions = SessionFactory(db)
    acts = CaseActivities(sessions, OutboxSender(sessions), Settings(database_url=db))
    limit = TimeLimit(kind="installation", working_days=5, rule="R4.4")  # type: ignore[arg-type]
    start = datetime(9999, 12, 30, tzinfo=UTC)  # past the checks of a message: a carried case
    with pytest.raises(ApplicationError) as failed:
        acts.compute_deadline(DeadlineInput(limit=limit, timezone="Asia/Shanghai", start=start))
    assert failed.value.non_retryable and failed.value.type == "DeadlineUncomputable"
    assert "cannot be computed" in failed.value.message


# --- 9.5 one case per request id -----------------------------------------------------------


@pytest.mark.usefixtures("worker")
async def test_9_5_a_request_id_is_used_once_whatever_the_reuse_policy(client: Client) -> None:
    body = _body()
    first = await _start(client, "cable-service", body)
    await _snapshot(first, "assigned")
    await first.execute_update(Update.CANCEL.value, {"by": COUNTER, "reason": "duplicate call"})
    await asyncio.wait_for(first.result(), 30)
    # A caller that allows reuse (the temporal CLI's default) starts a second run: refused.
    second = await client.start_workflow(
        "ServiceRequest",
        body,
        id=workflow_id(body["request_id"]),
        task_queue="cable-service",
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )
    assert second.result_run_id != first.result_run_id
    cause = await _fails_with(second, "DuplicateRequest", "a request id is used once")
    assert first.result_run_id is not None and first.result_run_id in cause.message


# --- 9.7 typed, non-retryable refusals ------------------------------------------------------


@pytest.mark.usefixtures("worker")
async def test_9_7_business_refusals_are_non_retryable_with_a_stable_type(client: Client) -> None:
    handle = await _start(client, "cable-service", _body())
    await _snapshot(handle, "assigned")

    async def refused(update: Update, payload: dict[str, Any]) -> ApplicationError:
        with pytest.raises(WorkflowUpdateFailedError) as err:
            await handle.execute_update(update.value, payload)
        cause = err.value.cause
        assert isinstance(cause, ApplicationError), cause
        assert cause.non_retryable, cause
        assert "Traceback" not in cause.message and ".py" not in cause.message
        assert not (cause.failure and cause.failure.stack_trace), "no stack trace for a caller"
        return cause

    assert (
        await refused(Update.DECIDE_EXTENSION, {"leader_id": LEADER, "approved": True})
    ).type == "InvalidState"
    assert (
        await refused(Update.ASSIGN, {"by": AREA_TECH, "technician_id": AREA_TECH})
    ).type == "NotPermitted"
    assert (
        await refused(Update.RESOLVE, {"by": AREA_TECH, "resolution": "a\x00b"})
    ).type == "InvalidInput"
    # 13.5: another company's agent hears the real reason, not "not certified".
    other = await refused(
        Update.RECORD_CALLBACK, {"agent_id": "CB-FD-1", "reached": True, "satisfied": True}
    )
    assert other.type == "NotPermitted"
    assert "not a certified callback of the city company" in other.message
    await handle.execute_update(Update.CANCEL.value, {"by": COUNTER, "reason": "done"})


def test_9_7_each_kind_of_refusal_maps_to_its_type_and_infrastructure_stays_retryable() -> None:
    from cablecare.failures import Closed, InvalidInput, NotPermitted, NotReady, refusal

    for exc, kind, final in [
        (Closed("request R-1 is already closed"), "Closed", True),
        (NotPermitted("staff X may not"), "NotPermitted", True),
        (InvalidInput("say whether"), "InvalidInput", True),
        (ValueError("plain reason"), "InvalidState", True),
        (NotReady("still being opened"), "NotReady", False),  # worth retrying in a moment
    ]:
        failure = refusal(exc)
        assert (failure.type, failure.non_retryable, failure.message) == (kind, final, str(exc))
    with pytest.raises(ValidationError) as bad:
        m.ResolveUpdate.model_validate({"by": "X", "resolution": "", "extra": 1})
    failure = refusal(bad.value)
    assert failure.type == "InvalidInput" and failure.non_retryable
    assert "resolution" in failure.message and "extra" in failure.message
    assert "input_value" not in failure.message and "errors.pydantic.dev" not in failure.message


def test_9_4_scheduled_duty_inputs_are_bounded_too() -> None:
    from workflows.scheduled import messages as sm

    for model, body in [
        (sm.FeeRemindersInput, {"run_date": "9999-12-31"}),
        (sm.FeeRemindersInput, {"run_date": "0001-01-01"}),
        (sm.KeyAccountCallbacksInput, {"period": "9999-12"}),
        (sm.AssessmentInput, {"period": "0001"}),
    ]:
        with pytest.raises(ValidationError):
            model.model_validate(body)
    sm.FeeRemindersInput.model_validate({"run_date": "2026-11-25"})
    sm.AssessmentInput.model_validate({"kind": "yearly", "period": "2026"})
