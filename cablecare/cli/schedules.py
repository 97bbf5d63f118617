"""`cablecare schedules apply`: create or update the Temporal Schedules of the scheduled duties
(cablecare/schedules.py explains the overlap policy and catch-up window of each)."""

from __future__ import annotations

import asyncio
import json

import typer

from cablecare.client import connect
from cablecare.policy import PolicyError, load_policy
from cablecare.schedules import DUTIES, apply_schedules
from cablecare.settings import get_settings

app = typer.Typer(no_args_is_help=True)


@app.callback()
def schedules() -> None:
    """Temporal Schedules: fee reminders, key-account callbacks, area assessments."""


@app.command("apply")
def apply(as_json: bool = typer.Option(False, "--json", help="JSON instead of lines.")) -> None:
    """Create or update every Schedule (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE); idempotent."""
    settings = get_settings()
    try:
        timezone = load_policy(settings.policy_path).timezone
    except PolicyError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from exc

    async def run() -> list[tuple[str, str]]:
        client = await connect()
        done = await apply_schedules(client, task_queue=settings.task_queue, timezone=timezone)
        return [(sid, outcome.value) for sid, outcome in done]

    try:
        results = asyncio.run(run())
    except RuntimeError as exc:  # connection refused and the like
        typer.echo(f"error: cannot apply the schedules: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    if as_json:
        typer.echo(json.dumps([{"schedule_id": s, "outcome": o} for s, o in results]))
        return
    summaries = {d.schedule_id: d.summary for d in DUTIES}
    for schedule_id, outcome in results:
        typer.echo(f"{outcome:<10} {schedule_id:<32} {summaries.get(schedule_id, '')}")
