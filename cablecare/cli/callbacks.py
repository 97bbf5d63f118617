"""`cablecare callbacks`: the key-account callback plan (R5.4) — list tasks, record results.

The monthly Schedule creates the tasks; agents record what the customer said (R5.3).
"""

from __future__ import annotations

import json
import re

import typer

from activities.callback_plan_activities import (
    CallbackError,
    list_key_account_callbacks,
    record_key_account_callback,
)
from activities.db import SessionFactory, init_db
from activities.duty_tables import KeyAccountCallback
from cablecare.cli.tables import print_table
from cablecare.csv_export import to_csv
from cablecare.settings import get_settings

app = typer.Typer(no_args_is_help=True)


@app.callback()
def callbacks() -> None:
    """Key-account callback plan (R5.4): tasks and their results."""


CSV_FIELDS = [
    "task_id", "period", "subscriber_id", "area_id", "assigned_to", "due_on", "state",
    "reached", "satisfied", "problem_found", "note",
]  # fmt: skip


def _row(task: KeyAccountCallback) -> dict[str, object]:
    return {
        "task_id": task.task_id,
        "period": task.period,
        "subscriber_id": task.subscriber_id,
        "area_id": task.area_id,
        "assigned_to": task.assigned_to,
        "due_on": task.due_on.isoformat(),
        "state": task.state,
        "reached": task.reached,
        "satisfied": task.satisfied,
        "problem_found": task.problem_found,
        "note": task.note,
    }


def _result(r: dict[str, object]) -> str:
    """13.5: reached and satisfied, reached and not satisfied, reached with satisfaction unknown,
    or not reached: each shown as itself."""
    if r["state"] == "open":
        return ""
    if not r["reached"]:
        return "not reached"
    satisfied = {True: "satisfied", False: "not satisfied", None: "satisfaction unknown"}
    return f"reached, {satisfied[r['satisfied']]}"  # type: ignore[index]


def _period(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
        typer.echo(f"error: --period {value!r} is not a month (YYYY-MM, e.g. 2026-11)", err=True)
        raise typer.Exit(code=1)
    return value


@app.command("list")
def list_tasks(
    period: str | None = typer.Option(None, "--period", help="YYYY-MM", callback=_period),
    open_only: bool = typer.Option(False, "--open", help="Only tasks without a result."),
    as_json: bool = typer.Option(False, "--json", help="JSON instead of a table."),
    as_csv: bool = typer.Option(False, "--csv", help="CSV (spreadsheet-safe) instead."),
) -> None:
    """List key-account callback tasks."""
    url = get_settings().database_url
    init_db(url)
    with SessionFactory(url)() as session:
        rows = [
            _row(t) for t in list_key_account_callbacks(session, period=period, open_only=open_only)
        ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if as_csv:  # 13.8: an agent's note can never act as a spreadsheet formula
        typer.echo(to_csv(CSV_FIELDS, rows), nl=False)
        return
    table = []
    for r in rows:
        result = _result(r)
        agent = r["assigned_to"] or "-"
        table.append(
            [
                str(r["task_id"]),
                str(r["area_id"]),
                str(agent),
                str(r["due_on"]),
                str(r["state"]),
                result,
            ]
        )
    print_table(["task", "area", "agent", "due", "state", "result"], table)


@app.command("record")
def record(
    task_id: str = typer.Argument(..., help="e.g. 2026-11/SUB-000001"),
    agent: str = typer.Option(..., "--agent", help="The callback agent's staff id (R8.1)."),
    reached: bool = typer.Option(..., "--reached/--not-reached"),
    satisfied: bool | None = typer.Option(None, "--satisfied/--not-satisfied"),
    problem: bool = typer.Option(False, "--problem", help="A problem was found (R5.2)."),
    note: str = typer.Option("", "--note"),
) -> None:
    """Record the result of one callback (R5.3)."""
    url = get_settings().database_url
    init_db(url)
    try:
        with SessionFactory(url)() as session:
            task = record_key_account_callback(
                session,
                task_id=task_id,
                agent_id=agent,
                reached=reached,
                satisfied=satisfied,
                problem_found=problem,
                note=note,
            )
            row = _row(task)
    except CallbackError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    typer.echo(json.dumps(row, ensure_ascii=False))
