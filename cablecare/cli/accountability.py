"""`cablecare accountability open`: a supervisor opens an accountability case by hand.

(六)2 lists what is pursued: a violation of law or policy, of any of the seven systems of the
regulation, or other misconduct. Cases the system detects open themselves; this command is for
everything a supervisor finds (R7.2: after persuasion failed). Ids only: no names or phones.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import typer
from pydantic import ValidationError

from cablecare.logging import configure_logging
from workflows.accountability.messages import AccountabilityCaseInput, RegulationSystem

app = typer.Typer(no_args_is_help=True)


@app.callback()
def accountability() -> None:
    """Accountability cases ((六) 责任追究制)."""


def _must_be_a_supervisor(staff_id: str) -> None:
    """R7.2 / (六)4: a case is opened by hand by a supervisor, the supervision office or a
    leader, as the directory says."""
    from activities.db import SessionFactory, init_db
    from activities.directory_queries import get_staff
    from cablecare.domain import HAND_OPENERS
    from cablecare.settings import get_settings

    allowed = {r.value for r in HAND_OPENERS}
    url = get_settings().database_url
    init_db(url)
    with SessionFactory(url)() as session:
        staff = get_staff(session, staff_id)
        if staff is None or not allowed & set(staff.roles):
            typer.echo(
                f"refused: {staff_id} is not a supervisor, the supervision office or a leader "
                "in the staff directory (R7.2)",
                err=True,
            )
            raise typer.Exit(2)


@app.command("open")
def open_cmd(
    case_id: str = typer.Option(
        ..., "--case-id", help="Your id for the case (letters, digits, -)."
    ),
    staff_id: str = typer.Option(..., "--staff", help="The post holder (岗位责任人)."),
    lead_id: str | None = typer.Option(None, "--lead", help="The responsible lead (相关负责人)."),
    system: RegulationSystem = typer.Option(..., "--system", help="(六)2: what was violated."),
    rule: str = typer.Option(..., "--rule", help="The rule ID, e.g. R2.6 or R5.1."),
    violation: str = typer.Option(..., "--violation", help="What happened (no personal data)."),
    by: str = typer.Option(..., "--by", help="The supervisor opening the case."),
    request_id: str | None = typer.Option(None, "--request", help="The request concerned."),
    address: str | None = typer.Option(None, "--address", help="Temporal address (host:port)."),
) -> None:
    """Open an accountability case against a post holder (and a lead) for any (六)2 violation."""
    try:
        data = AccountabilityCaseInput(
            case_id=case_id,
            staff_id=staff_id,
            lead_id=lead_id,
            rule=rule,
            violation=violation,
            opened_by=by,
            request_id=request_id,
            system=system,
            occurred_at=datetime.now(UTC),
        )
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        typer.echo(f"refused: {problems}", err=True)
        raise typer.Exit(2) from None

    _must_be_a_supervisor(by)
    # One-shot command: no forwarding of the SDK core's log lines, which crashed short-lived
    # processes at interpreter exit now and then (see search_attributes_cmd.py).
    configure_logging("WARNING", temporal_core=False)

    async def run() -> str:
        from cablecare.client import connect
        from starter.accountability import open_case

        client = await connect(address)
        handle = await open_case(client, data)
        return handle.id

    try:
        workflow_id = asyncio.run(run())
    except RuntimeError as err:  # connection refused and the like
        typer.echo(f"could not reach Temporal: {err}", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps({"workflow_id": workflow_id, "case_id": case_id}))


@app.command("withdraw")
def withdraw_cmd(
    case_id: str = typer.Option(..., "--case-id", help="The accountability case id."),
    by: str = typer.Option(..., "--by", help="A person who may decide the case ((六)4)."),
    reason: str = typer.Option(..., "--reason", help="Why it is no violation, e.g. (四)5."),
    address: str | None = typer.Option(None, "--address", help="Temporal address (host:port)."),
) -> None:
    """Withdraw a case whose violation turned out not to be one ((四)5: an on-time attempt)."""
    from temporalio.client import WorkflowUpdateFailedError

    from workflows.accountability.messages import UPDATE_WITHDRAW, WithdrawUpdate, workflow_id

    configure_logging("WARNING", temporal_core=False)  # one-shot: see `open`

    async def run() -> None:
        from cablecare.client import connect

        client = await connect(address)
        handle = client.get_workflow_handle(workflow_id(case_id))
        await handle.execute_update(UPDATE_WITHDRAW, WithdrawUpdate(by=by, reason=reason))

    try:
        asyncio.run(run())
    except WorkflowUpdateFailedError as err:
        typer.echo(f"refused: {err.cause}", err=True)
        raise typer.Exit(2) from None
    except RuntimeError as err:
        typer.echo(f"could not reach Temporal: {err}", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps({"case_id": case_id, "withdrawn": True}))
