"""`cablecare supervision`: the supervision office's views ((七)2d, (四)2).

- `report --month YYYY-MM` — inspections done vs planned, findings by system, corrections on
  time, per branch rolled up to the province, with the month's scored area assessment and
  certified coverage; JSON, CSV or HTML with charts.
- `log --month YYYY-MM` — the supervision timeline: every inspection step, finding,
  correction, decision, certificate and publication change.
- `disclosure --area A` — what an area publishes now ((三)2, (三)5, (一)5, (一)6).
`--as STAFF` shows only what that supervisor may see: a province supervisor every branch, a
branch supervisor their own.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import typer
from sqlmodel import col, select

from activities.db import SessionFactory, init_db
from activities.reports import parse_month
from activities.supervision import org, publication
from activities.supervision.policy import load_supervision_policy, policy_path_beside
from activities.supervision.report_render import RENDERERS
from activities.supervision.supervision_report import supervision_report
from activities.supervision.tables import SupervisionEvent
from cablecare.policy import PolicyError, load_policy
from cablecare.settings import get_settings

app = typer.Typer(no_args_is_help=True)


class Format(StrEnum):
    JSON = "json"
    CSV = "csv"
    HTML = "html"


AS_STAFF = typer.Option(None, "--as", help="A supervisor's staff id: only what they may see.")


@app.callback()
def supervision() -> None:
    """Supervision and inspection ((七)2d): the monthly report, the log, the disclosure."""


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


def _month(value: str) -> str:
    try:
        year, month = parse_month(value)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    return f"{year:04d}-{month:02d}"


@app.command("report")
def report(
    month: str = typer.Option(..., "--month", help="YYYY-MM"),
    fmt: Format = typer.Option(Format.JSON, "--format", "-f", help="json, csv or html."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file."),
    as_staff: str | None = AS_STAFF,
) -> None:
    """The month's supervision report per branch, with the scored area assessment."""
    period = _month(month)
    settings = get_settings()
    try:
        sla = load_policy(settings.policy_path)
    except PolicyError as exc:
        raise _fail(str(exc)) from None
    policy = load_supervision_policy(policy_path_beside(settings.policy_path))
    init_db(settings.database_url)
    with SessionFactory(settings.database_url)() as session:
        try:
            result = supervision_report(session, sla, policy, period, as_staff=as_staff)
        except org.ScopeError as exc:
            raise _fail(str(exc)) from None
    text = RENDERERS[fmt.value](result)
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    typer.echo(f"{fmt.value} supervision report for {period} written to {output}", err=True)


@app.command("log")
def log(
    month: str = typer.Option(..., "--month", help="YYYY-MM (UTC month of the entries)."),
    as_staff: str | None = AS_STAFF,
    as_json: bool = typer.Option(False, "--json", help="JSON instead of a table."),
) -> None:
    """(七)2d the supervision timeline of a month, oldest first."""
    year, m = parse_month(_month(month))
    start = datetime(year, m, 1, tzinfo=UTC)
    end = datetime(year + (m == 12), m % 12 + 1, 1, tzinfo=UTC)
    url = get_settings().database_url
    init_db(url)
    with SessionFactory(url)() as session:
        try:
            scope = org.visible_branches(session, as_staff)
        except org.ScopeError as exc:
            raise _fail(str(exc)) from None
        events = session.exec(
            select(SupervisionEvent)
            .where(col(SupervisionEvent.at) >= start, col(SupervisionEvent.at) < end)
            .order_by(col(SupervisionEvent.at), col(SupervisionEvent.id))
        ).all()
        rows = [
            {
                "at": e.at.isoformat(), "kind": e.kind, "branch_id": e.branch_id,
                "area_id": e.area_id, "inspection_id": e.inspection_id,
                "finding_id": e.finding_id, "by": e.by, "detail": e.detail,
            }
            for e in events
            if scope is None or e.branch_id in scope
        ]  # fmt: skip
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        typer.echo(
            f"{r['at']:<32} {r['kind']:<20} {r['branch_id'] or '-':<10} "
            f"{r['inspection_id'] or r['area_id'] or '-':<24} {r['detail']}"
        )


@app.command("disclosure")
def disclosure(
    area: str = typer.Option(..., "--area", help="The area id."),
) -> None:
    """(三)5 what the area publishes now, as last published on a directory load (JSON)."""
    url = get_settings().database_url
    init_db(url)
    with SessionFactory(url)() as session:
        row = publication.published(session, area)
        if row is None:
            raise _fail(f"area {area!r} has no published disclosure (load the directory first)")
        typer.echo(
            json.dumps(
                {"version": row.version, "published_at": row.published_at.isoformat(),
                 **row.document},
                ensure_ascii=False, indent=2,
            )
        )  # fmt: skip
