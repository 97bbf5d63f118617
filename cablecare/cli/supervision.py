"""Supervisor views (R7.1): `cablecare cases` and `cablecare escalations`.

`cases` lists the open service requests from Temporal visibility, filtered on the Cs* search
attributes (no database needed, no personal data shown). `escalations` lists escalations from
the application database. Both print a table, or JSON with `--json`.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, date, datetime, time
from typing import Any

import typer
from sqlmodel import Session, col, select
from temporalio.client import Client

from activities.case_tables import EscalationRecord
from activities.db import SessionFactory, init_db
from cablecare import search_attributes as sa
from cablecare.cli.tables import print_table
from cablecare.client import connect
from cablecare.csv_export import to_csv
from cablecare.domain import Kind
from cablecare.policy import current_policy
from cablecare.settings import get_settings
from cablecare.timefmt import human, machine, machine_or_none
from workflows.service_request.state import EscalationKind

_SAFE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SERVICE_REQUEST = "ServiceRequest"
PREFIX = "service-request-"


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


def _known_area(area: str | None) -> str | None:
    """13.5: a filter is checked against the directory, so a typo is not an empty list."""
    if area is None:
        return None
    if not _SAFE.match(area):
        raise _fail(f"--area {area!r} is not an area id")
    from activities.directory_tables import Area

    url = get_settings().database_url
    init_db(url)
    with SessionFactory(url)() as session:
        known = sorted(session.exec(select(Area.area_id)).all())
    if known and area not in known:
        raise _fail(f"--area {area!r} is not in the directory; known areas: {', '.join(known)}")
    return area


def _parse_at(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise _fail(f"--at {value!r} is not ISO 8601, e.g. 2026-11-25T18:00:00+08:00") from None
    if at.tzinfo is None:
        raise _fail(f"--at {value!r} needs a UTC offset, e.g. +08:00")
    return at


def visibility_query(
    *, area: str | None, kind: Kind | None, overdue: bool, breached: bool, at: datetime
) -> str:
    """The List Filter for open cases; values are checked, never pasted in raw."""
    parts = [f"WorkflowType = '{SERVICE_REQUEST}'", "ExecutionStatus = 'Running'"]
    if area is not None:
        if not _SAFE.match(area):
            raise _fail(f"--area {area!r} is not an area id")
        parts.append(f"{sa.CS_AREA_ID.name} = '{area}'")
    if kind is not None:
        parts.append(f"{sa.CS_KIND.name} = '{kind.value}'")
    if breached:
        parts.append(f"{sa.CS_BREACHED.name} = true")
    if overdue:
        parts.append(f"{sa.CS_DUE_AT.name} < '{at.astimezone(UTC).isoformat()}'")
    return " AND ".join(parts)


async def open_cases(client: Client, query: str, at: datetime, limit: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    async for wf in client.list_workflows(query, limit=limit):
        attrs = wf.typed_search_attributes
        due = attrs.get(sa.CS_DUE_AT)
        rows.append(
            {
                "request_id": wf.id.removeprefix(PREFIX),
                "workflow_id": wf.id,
                "kind": attrs.get(sa.CS_KIND),
                "state": attrs.get(sa.CS_STATE),
                "area_id": attrs.get(sa.CS_AREA_ID),
                "owner_id": attrs.get(sa.CS_OWNER_ID),
                "technician_id": attrs.get(sa.CS_TECHNICIAN_ID),
                "priority": attrs.get(sa.CS_PRIORITY),
                "due_at": machine_or_none(due),  # 13.6: JSON in UTC Z
                "overdue": bool(due and due < at),
                "breached": bool(attrs.get(sa.CS_BREACHED)),
                "started_at": machine(wf.start_time),
            }
        )
    return sorted(rows, key=lambda r: (r["due_at"] is None, r["due_at"] or "", r["request_id"]))


def cases(
    area: str | None = typer.Option(None, "--area", help="Only this service area."),
    kind: Kind | None = typer.Option(None, "--kind", help="Only this kind of request."),
    overdue: bool = typer.Option(False, "--overdue", help="Only cases past their due time."),
    breached: bool = typer.Option(False, "--breached", help="Only cases that breached a limit."),
    at: str | None = typer.Option(None, "--at", help="Judge 'overdue' at this time (default now)."),
    limit: int = typer.Option(500, "--limit", min=1, help="At most this many cases."),
    as_json: bool = typer.Option(False, "--json", help="JSON instead of a table."),
) -> None:
    """R7.1: open cases with their clock and breaches, from Temporal visibility."""
    moment = _parse_at(at)
    area = _known_area(area)
    query = visibility_query(area=area, kind=kind, overdue=overdue, breached=breached, at=moment)

    async def run() -> list[dict[str, Any]]:
        return await open_cases(await connect(), query, moment, limit)

    try:
        rows = asyncio.run(run())
    except RuntimeError as exc:
        raise _fail(f"cannot list cases: {exc}") from exc
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    zone = _zone()
    print_table(
        ["request", "kind", "state", "area", "owner", f"due ({zone})", "flags"],
        (
            [
                r["request_id"], r["kind"] or "-", r["state"] or "-", r["area_id"] or "-",
                r["owner_id"] or "-", _local(r["due_at"], zone),
                _flags(r),
            ]
            for r in rows
        ),
    )  # fmt: skip
    typer.echo(f"{len(rows)} open case(s)", err=True)


ESCALATION_FIELDS = [
    "at", "request_id", "area_id", "kind", "rule", "to", "reason", "accountability_case_id",
]  # fmt: skip


def _flags(row: dict[str, Any]) -> str:
    return " ".join(
        f for f, on in (("OVERDUE", row["overdue"]), ("BREACHED", row["breached"])) if on
    )


def _zone() -> str:
    """The operator's zone, from the policy (R4.4): what a dispatcher's clock shows."""
    return current_policy(get_settings().policy_path).timezone


def _local(value: str | None, zone: str) -> str:
    """A table cell from a row's machine time (13.6)."""
    return human(datetime.fromisoformat(value), zone) if value else "-"


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; the application stores UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def escalation_rows(
    session: Session, *, area: str | None, kind: str | None, since: date | None, limit: int
) -> list[dict[str, Any]]:
    query = select(EscalationRecord)
    if area:
        query = query.where(EscalationRecord.area_id == area)
    if kind:
        query = query.where(EscalationRecord.kind == kind)
    if since:
        query = query.where(col(EscalationRecord.at) >= datetime.combine(since, time(), UTC))
    found = session.exec(query.order_by(col(EscalationRecord.at).desc()).limit(limit)).all()
    return [
        {
            "at": machine(_aware(e.at)), "request_id": e.request_id, "area_id": e.area_id,
            "kind": e.kind, "rule": e.rule, "to": list(e.to), "reason": e.reason,
            "accountability_case_id": e.accountability_case_id,
        }
        for e in found
    ]  # fmt: skip


def escalations(
    area: str | None = typer.Option(None, "--area", help="Only this service area."),
    kind: EscalationKind | None = typer.Option(None, "--kind", help="R7.3 warning, R4.7 breach..."),
    since: str | None = typer.Option(None, "--since", help="YYYY-MM-DD (UTC midnight)."),
    limit: int = typer.Option(200, "--limit", min=1, help="The newest N."),
    as_json: bool = typer.Option(False, "--json", help="JSON instead of a table."),
    as_csv: bool = typer.Option(False, "--csv", help="CSV (spreadsheet-safe) instead."),
) -> None:
    """R7.1: escalations, newest first, from the database."""
    try:
        day = date.fromisoformat(since) if since else None
    except ValueError:
        raise _fail(f"--since {since!r} is not YYYY-MM-DD") from None
    area = _known_area(area)
    url = get_settings().database_url
    init_db(url)
    with SessionFactory(url)() as session:
        kind_value = kind.value if kind is not None else None
        rows = escalation_rows(session, area=area, kind=kind_value, since=day, limit=limit)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if as_csv:
        flat = [{**r, "to": ";".join(r["to"])} for r in rows]
        typer.echo(to_csv(ESCALATION_FIELDS, flat), nl=False)
        return
    zone = _zone()
    print_table(
        [f"at ({zone})", "request", "area", "kind", "rule", "reason"],
        (
            [
                _local(r["at"], zone),
                r["request_id"],
                r["area_id"],
                r["kind"],
                r["rule"],
                r["reason"],
            ]
            for r in rows
        ),
    )
