"""R5.4 key-account callback plan: tasks per key account per month, results recorded (R5.3)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from sqlmodel import col, select
from temporalio.client import Client
from typer.testing import CliRunner

from activities.directory_tables import Subscriber
from activities.duty_tables import KeyAccountCallback
from activities.notification_tables import OutboxMessage
from cablecare.cli import app
from cablecare.settings import get_settings
from workflows.scheduled.messages import KeyAccountCallbacksInput, KeyAccountCallbacksResult
from workflows.scheduled.workflows import KeyAccountCallbackPlan

from .duty_helpers import DutyEnv, duty_environment


@pytest_asyncio.fixture
async def duty(client: Client, database_url: str) -> AsyncIterator[DutyEnv]:
    async with duty_environment(client, database_url) as env:
        yield env


@pytest.fixture
def cli_db(duty: DutyEnv, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("DATABASE_URL", duty.settings.database_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


async def plan(env: DutyEnv, period: str) -> KeyAccountCallbacksResult:
    return await env.client.execute_workflow(
        KeyAccountCallbackPlan.run,
        KeyAccountCallbacksInput(period=period),
        id=f"ka-callbacks-test-{uuid.uuid4().hex[:8]}",
        task_queue=env.task_queue,
    )


async def test_r5_4_monthly_plan_creates_one_task_per_key_account_once(duty: DutyEnv) -> None:
    with duty.sessions() as session:
        key_accounts = set(
            session.exec(
                select(Subscriber.subscriber_id).where(col(Subscriber.key_account).is_(True))
            ).all()
        )
    first = await plan(duty, "2026-12")
    second = await plan(duty, "2026-12")
    assert first.key_accounts == len(key_accounts) == 9 and first.created == 9
    assert second.created == 0 and first.unassigned == 0
    with duty.sessions() as session:
        tasks = session.exec(select(KeyAccountCallback)).all()
        told = session.exec(
            select(OutboxMessage).where(col(OutboxMessage.key).startswith("ka-callback/"))
        ).all()
    assert {t.subscriber_id for t in tasks} == key_accounts
    assert all(t.assigned_to in {"CB-HF-1", "CB-FD-1"} for t in tasks)  # R8.1 certified agents
    assert all(t.due_on.isoformat() == "2026-12-31" for t in tasks)
    assert len(told) == 9  # each agent told once per task
    third = await plan(duty, "2027-01")  # the next month: new tasks
    assert third.created == 9


async def test_r5_3_callback_results_are_recorded_by_a_certified_agent(
    duty: DutyEnv, cli_db: CliRunner
) -> None:
    await plan(duty, "2026-11")
    task_id = "2026-11/SUB-000001"
    refused = cli_db.invoke(
        app, ["callbacks", "record", task_id, "--agent", "T-HF-01-1", "--reached"]
    )
    assert refused.exit_code == 1 and "certified callback agent" in refused.stderr
    ok = cli_db.invoke(
        app,
        [
            "callbacks",
            "record",
            task_id,
            "--agent",
            "CB-HF-1",
            "--reached",
            "--satisfied",
            "--note",
            "满意",
        ],
    )
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["state"] == "done"
    listed = cli_db.invoke(app, ["callbacks", "list", "--period", "2026-11", "--open", "--json"])
    open_tasks = json.loads(listed.stdout)
    assert len(open_tasks) == 8 and task_id not in {t["task_id"] for t in open_tasks}
