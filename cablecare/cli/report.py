"""`cablecare report`: the area assessment (R3.3, R3.4, R3.1) on demand, and its inputs.

`monthly --month 2026-11` / `yearly --year 2026` compute by SQL from DATABASE_URL and print
JSON (default), CSV or a self-contained HTML page with charts, to stdout or `--output FILE`.
`import-changes FILE.csv` loads subscriber gains and losses (R3.4) from billing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import typer

from activities.assessment_activities import default_period
from activities.db import SessionFactory, init_db
from activities.report_render import RENDERERS
from activities.reports import AssessmentReport, parse_month
from activities.subscription_import import SubscriptionImportError, import_subscription_changes
from activities.supervision.org import ScopeError
from activities.supervision.policy import load_supervision_policy, policy_path_beside
from activities.supervision.scoring import assessment
from cablecare.policy import PolicyError, load_policy
from cablecare.settings import get_settings
from workflows.scheduled.messages import AssessmentKind

app = typer.Typer(no_args_is_help=True)


class Format(StrEnum):
    JSON = "json"
    CSV = "csv"
    HTML = "html"


@app.callback()
def report() -> None:
    """Area assessment reports (R3.3): monthly, yearly, and their subscription data."""


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


def _emit(report: AssessmentReport, fmt: Format, output: Path | None) -> None:
    text = RENDERERS[fmt.value](report)
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    typer.echo(f"{fmt.value} report for {report.period} written to {output}", err=True)


def _compute(kind: str, period: str, as_staff: str | None = None) -> AssessmentReport:
    """The assessment scored against the (三)3 targets, with certified coverage (R8.1), for
    the branches `as_staff` may see ((四)2; everything when not given)."""
    settings = get_settings()
    try:
        policy = load_policy(settings.policy_path)
    except PolicyError as exc:
        raise _fail(str(exc)) from None
    supervision = load_supervision_policy(policy_path_beside(settings.policy_path))
    init_db(settings.database_url)
    with SessionFactory(settings.database_url)() as session:
        try:
            return assessment(session, policy, supervision, kind, period, as_staff=as_staff)
        except ScopeError as exc:
            raise _fail(str(exc)) from None


def _last_month() -> str:
    """The month that just ended, in the operator's time zone (the policy's)."""
    try:
        timezone = load_policy(get_settings().policy_path).timezone
    except PolicyError as exc:
        raise _fail(str(exc)) from None
    return default_period(AssessmentKind.MONTHLY, datetime.now(UTC), timezone)


FORMAT = typer.Option(Format.JSON, "--format", "-f", help="json, csv or html (with charts).")
OUTPUT = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout.")
AS_STAFF = typer.Option(
    None, "--as", help="A supervisor's staff id: only the branches they may see ((四)2)."
)


@app.command("monthly")
def monthly(
    month: str = typer.Option(None, "--month", help="YYYY-MM; default: last month."),
    fmt: Format = FORMAT,
    output: Path | None = OUTPUT,
    as_staff: str | None = AS_STAFF,
) -> None:
    """Monthly assessment of every area, with the year-to-date trend."""
    month = month or _last_month()
    try:
        parse_month(month)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    _emit(_compute("monthly", month, as_staff), fmt, output)


@app.command("yearly")
def yearly(
    year: int = typer.Option(..., "--year", min=2000, max=2100, help="e.g. 2026"),
    fmt: Format = FORMAT,
    output: Path | None = OUTPUT,
    as_staff: str | None = AS_STAFF,
) -> None:
    """Yearly summary of every area: the twelve months summed, and the monthly trend."""
    _emit(_compute("yearly", str(year), as_staff), fmt, output)


@app.command("import-changes")
def import_changes(
    path: Path = typer.Argument(..., help="CSV: area_id,subscriber_id,change,changed_on"),
) -> None:
    """Import subscriber gains/losses (R3.4); the whole file or nothing; re-import is a no-op."""
    url = get_settings().database_url
    init_db(url)
    try:
        inserted, present = import_subscription_changes(url, path)
    except SubscriptionImportError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"subscription changes: {inserted} inserted, {present} already present")
