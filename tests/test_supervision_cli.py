"""R7.1 supervisor views (`cablecare cases`, `cablecare escalations`) and `cablecare schedules
apply` (R3.3, R5.4, R9.5: the Schedules exist, and applying twice changes nothing)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio.client import Client, ScheduleActionStartWorkflow, ScheduleOverlapPolicy
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from activities.case_tables import EscalationRecord
from activities.db import SessionFactory, init_db
from cablecare.cli import app
from cablecare.schedules import DUTIES, Outcome, apply_schedules
from cablecare.settings import get_settings
from tests.cases import RURAL_SUBSCRIBER, new_request, start, wait_for

pytestmark = pytest.mark.usefixtures("worker")


def temporal_env(client: Client) -> dict[str, str]:
    return {
        "TEMPORAL_ADDRESS": client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": client.namespace,
    }


async def cli(client: Client, *args: str) -> Any:
    """Run the command in a thread: it runs its own event loop, like in a terminal."""
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args), env=temporal_env(client))
    assert result.exit_code == 0, result.output
    return result


async def cases_json(client: Client, *args: str) -> list[dict[str, Any]]:
    return json.loads((await cli(client, "cases", "--json", *args)).stdout)


async def eventually(check: Any, timeout: float = 20.0) -> Any:
    """Visibility is eventually consistent: poll until `check()` returns a truthy value."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await check()
        if found or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.3)


async def test_r7_1_cases_lists_open_cases_with_area_kind_breach_and_overdue_filters(
    env: WorkflowEnvironment,
) -> None:
    client = env.client
    fault = await start(client, new_request())  # A-HF-01
    complaint = await start(client, new_request(kind="complaint"))
    rural = await start(client, new_request(subscriber_id=RURAL_SUBSCRIBER))  # A-FD-02
    ids = {h.id.removeprefix("service-request-") for h in (fault, complaint, rural)}
    for handle in (fault, complaint, rural):
        await wait_for(handle, lambda s: s.clock.due_at is not None)

    async def all_listed() -> list[dict[str, Any]] | None:
        # Visibility is eventually consistent, and the case's attributes are upserted after its
        # first records are written (a case is listed from its start with its kind only):
        # wait until the three are listed with their clock and owner.
        rows = await cases_json(client)
        mine = [r for r in rows if r["request_id"] in ids]
        complete = len(mine) == len(ids) and all(r["due_at"] and r["owner_id"] for r in mine)
        return rows if complete else None

    rows = await eventually(all_listed)
    assert rows, "the three open cases show up with their due time and owner"

    by_area = await cases_json(client, "--area", "A-FD-02")
    assert {r["area_id"] for r in by_area} == {"A-FD-02"}
    assert rural.id.removeprefix("service-request-") in {r["request_id"] for r in by_area}
    complaints = await cases_json(client, "--kind", "complaint")
    assert {r["kind"] for r in complaints} == {"complaint"}

    # Overdue as of two days from now: the 24 h fault is, the 3-working-day complaint is not.
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    overdue = {r["request_id"] for r in await cases_json(client, "--overdue", "--at", later)}
    assert fault.id.removeprefix("service-request-") in overdue
    assert complaint.id.removeprefix("service-request-") not in overdue

    # A real breach: the 24 h fault limit passes (R4.7) and the case is flagged.
    await env.fast_forward(fault, timedelta(hours=25))
    await wait_for(fault, lambda s: s.clock.breached)
    fault_id = fault.id.removeprefix("service-request-")

    async def breached_listed() -> list[dict[str, Any]] | None:
        rows = await cases_json(client, "--breached")
        return rows if fault_id in {r["request_id"] for r in rows} else None

    breached = await eventually(breached_listed)
    assert breached and all(r["breached"] for r in breached)
    table = await cli(client, "cases", "--area", "A-HF-01")
    assert "BREACHED" in table.stdout and fault_id in table.stdout
    for handle in (fault, complaint, rural):
        await handle.terminate("test done")


@pytest.fixture
def db_cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[SessionFactory]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    init_db(database_url)
    yield SessionFactory(database_url)
    get_settings.cache_clear()


def test_r7_1_escalations_lists_from_the_database(db_cli: SessionFactory) -> None:
    now = datetime(2026, 11, 20, 8, tzinfo=UTC)
    with db_cli() as session:
        for i, (area, kind) in enumerate(
            [("A-HF-01", "breach"), ("A-HF-01", "warning"), ("A-FD-02", "breach")]
        ):
            session.add(
                EscalationRecord(
                    workflow_id=f"service-request-E{i}", request_id=f"E{i}", area_id=area,
                    key=f"{kind}/1", kind=kind, rule="R4.7" if kind == "breach" else "R7.3",
                    at=now + timedelta(hours=i), to=["SUP-HF-01"], reason=f"{kind} of E{i}",
                )
            )  # fmt: skip
        session.commit()
    runner = CliRunner()
    everything = json.loads(runner.invoke(app, ["escalations", "--json"]).stdout)
    assert [e["request_id"] for e in everything] == ["E2", "E1", "E0"]  # newest first
    breaches = json.loads(
        runner.invoke(
            app, ["escalations", "--kind", "breach", "--area", "A-HF-01", "--json"]
        ).stdout
    )
    assert [(e["request_id"], e["rule"]) for e in breaches] == [("E0", "R4.7")]
    table = runner.invoke(app, ["escalations", "--since", "2026-11-20"])
    assert table.exit_code == 0 and "breach of E2" in table.stdout
    bad = runner.invoke(app, ["escalations", "--since", "yesterday"])
    assert bad.exit_code == 1 and "YYYY-MM-DD" in bad.stderr


async def test_schedules_apply_creates_every_schedule_and_twice_changes_nothing(
    client: Client,
) -> None:
    """R9.5 daily fee reminders, R5.4 monthly key-account callbacks, R3.3 monthly and yearly
    assessments: created once, described through the client, untouched by a second apply."""
    first = await apply_schedules(client, task_queue="cable-service", timezone="Asia/Shanghai")
    assert {o for _, o in first} <= {Outcome.CREATED, Outcome.UNCHANGED}
    before = {}
    for duty in DUTIES:
        desc = await client.get_schedule_handle(duty.schedule_id).describe()
        sched = desc.schedule
        assert sched.spec.time_zone_name == "Asia/Shanghai"
        cal = sched.spec.calendars[0]
        assert [r.start for r in cal.hour] == [duty.hour]
        assert sched.policy.overlap == duty.overlap and sched.policy.catchup_window == duty.catchup
        assert isinstance(sched.action, ScheduleActionStartWorkflow)
        assert sched.action.workflow == duty.workflow and sched.action.task_queue == "cable-service"
        before[duty.schedule_id] = (desc.info.last_updated_at, sched.spec, sched.policy)
    fee = next(d for d in DUTIES if d.schedule_id == "fee-reminders-daily")
    assert fee.overlap == ScheduleOverlapPolicy.SKIP and fee.hour == 9

    result = await cli(client, "schedules", "apply", "--json")
    assert {r["outcome"] for r in json.loads(result.stdout)} == {"unchanged"}
    for duty in DUTIES:
        desc = await client.get_schedule_handle(duty.schedule_id).describe()
        assert (desc.info.last_updated_at, desc.schedule.spec, desc.schedule.policy) == before[
            duty.schedule_id
        ]

    # A changed definition (another time zone) is updated in place; a pause survives it.
    handle = client.get_schedule_handle("fee-reminders-daily")
    await handle.pause(note="paused by the duty manager")
    changed = await apply_schedules(client, task_queue="cable-service", timezone="Asia/Urumqi")
    assert dict(changed)["fee-reminders-daily"] == Outcome.UPDATED
    desc = await handle.describe()
    assert desc.schedule.spec.time_zone_name == "Asia/Urumqi" and desc.schedule.state.paused
    for duty in DUTIES:
        await client.get_schedule_handle(duty.schedule_id).delete()


def test_cases_refuses_a_malformed_area() -> None:
    result = CliRunner().invoke(app, ["cases", "--area", "A' OR 1=1"])
    assert result.exit_code == 1 and "not an area id" in result.stderr
