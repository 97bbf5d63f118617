"""`cablecare sla`: ask the policy and the calendar when a case is due (docs/contract.md)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import typer

from cablecare.calendar import CalendarError, load_calendar
from cablecare.domain import Kind, Setting, Severity
from cablecare.policy import PolicyError, load_policy
from cablecare.settings import get_settings
from cablecare.sla import due_at
from cablecare.timefmt import machine

app = typer.Typer(
    help="Time limits (R4.3, R4.4): the policy and the business calendar.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _group() -> None:
    """Time limits (R4.3, R4.4): the policy and the business calendar."""
    # A callback keeps `due` a subcommand even while it is the group's only command.


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


def _parse_start(value: str) -> datetime:
    try:
        start = datetime.fromisoformat(value)
    except ValueError:
        raise _fail(
            f"--start {value!r} is not an ISO 8601 timestamp, e.g. 2026-09-30T10:00:00+08:00"
        ) from None
    if start.tzinfo is None or start.utcoffset() is None:
        raise _fail(
            f"--start {value!r} has no timezone offset; give one, e.g. 2026-09-30T10:00:00+08:00"
        )
    return start


@app.command()
def due(
    kind: Kind = typer.Option(..., "--kind", help="Kind of request."),
    start: str = typer.Option(
        ...,
        "--start",
        help="When the clock starts (R4.1), ISO 8601 with offset: 2026-09-30T10:00:00+08:00.",
    ),
    severity: Severity = typer.Option(Severity.ORDINARY, "--severity", help="Faults, complaints."),
    setting: Setting = typer.Option(Setting.URBAN, "--setting", help="Installation limit (R4.4)."),
    policy_path: Path | None = typer.Option(
        None, "--policy", help="Policy file; default: the settings' policy_path."
    ),
) -> None:
    """Print {"due_at": ...} as JSON: when a case of this kind started at START is due."""
    clock_start = _parse_start(start)
    settings = get_settings()
    try:
        policy = load_policy(policy_path or settings.policy_path)
        calendar = load_calendar(settings, timezone=policy.timezone)
        limit = policy.time_limit(kind, severity, setting)
        due_time = due_at(
            policy, calendar, kind=kind, severity=severity, setting=setting, start=clock_start
        )
    except (PolicyError, CalendarError, ValueError) as exc:
        raise _fail(str(exc)) from None
    answer = {
        # 13.6: JSON is for machines: UTC with Z (the policy's zone is in "timezone").
        "due_at": machine(due_time),
        "start": machine(clock_start),
        "limit": (
            {"hours": limit.hours}
            if limit.hours is not None
            else {"working_days": limit.working_days}
        ),
        "rule": limit.rule,
        "policy_version": policy.version,
        "timezone": policy.timezone,
    }
    typer.echo(json.dumps(answer, ensure_ascii=False))
