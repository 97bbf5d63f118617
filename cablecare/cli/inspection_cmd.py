"""`cablecare inspection`: plan an inspection and drive it by hand ((七)2b/2e, (四)2, (五)5).

The same messages any other system sends over Temporal (schemas/Inspection/): `plan` starts
the `Inspection` workflow, `finding`, `correct`, `verify` and `complete` send its updates, and
`status` prints its snapshot as JSON. A refused update exits 1 with the reason.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import typer
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.service import RPCError

from cablecare.client import connect
from cablecare.domain import TASK_QUEUE
from workflows.inspection.messages import (
    UPDATE_COMPLETE,
    UPDATE_RECORD_FINDING,
    UPDATE_REPORT_CORRECTION,
    UPDATE_VERIFY_CORRECTION,
    WORKFLOW_NAME,
    CompleteUpdate,
    InspectionInput,
    InspectionKind,
    InspectionSnapshot,
    RecordFindingUpdate,
    ReportCorrectionUpdate,
    TargetKind,
    VerifyCorrectionUpdate,
    workflow_id,
)

app = typer.Typer(no_args_is_help=True)


@app.callback()
def inspection() -> None:
    """Inspections ((七)2): plan one, record findings, corrections and verifications."""


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


def _run(action: Callable[[Client], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        return await action(await connect())

    try:
        return asyncio.run(go())
    except WorkflowUpdateFailedError as exc:
        raise _fail(f"refused: {exc.cause}") from None
    except (RPCError, RuntimeError, ValueError) as exc:
        raise _fail(str(exc)) from None


def _echo(snapshot: Any) -> None:
    typer.echo(json.dumps(snapshot.model_dump(mode="json"), ensure_ascii=False, indent=2))


async def _update(client: Client, inspection_id: str, name: str, payload: Any) -> Any:
    handle = client.get_workflow_handle(workflow_id(inspection_id))
    return await handle.execute_update(name, payload, result_type=InspectionSnapshot)


@app.command("plan")
def plan(
    inspection_id: str = typer.Argument(..., help="Id, [A-Za-z0-9-]{1,60}; never reused."),
    kind: InspectionKind = typer.Option(..., "--kind"),
    inspector: str = typer.Option(..., "--inspector", help="The inspector's staff id."),
    target_kind: TargetKind = typer.Option(..., "--target-kind"),
    target: str = typer.Option(..., "--target", help="Outlet, area or branch id."),
    branch: str = typer.Option(..., "--branch", help="The branch the target belongs to."),
    on: str = typer.Option(..., "--date", help="Planned for YYYY-MM-DD."),
    item: list[str] = typer.Option([], "--item", help="Checklist codes; default: all."),
) -> None:
    """Start an inspection (its checklist comes from the supervision policy)."""
    try:
        day = date.fromisoformat(on)
        data = InspectionInput(
            inspection_id=inspection_id, kind=kind, inspector_id=inspector,
            target_kind=target_kind, target_id=target, branch_id=branch,
            period=f"{day.year:04d}-{day.month:02d}", planned_for=day, checklist=item,
        )  # fmt: skip
    except ValueError as exc:
        raise _fail(str(exc)) from None

    async def start(client: Client) -> str:
        handle = await client.start_workflow(
            WORKFLOW_NAME, data, id=workflow_id(inspection_id), task_queue=TASK_QUEUE,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary=f"{kind.value} inspection of {target_kind.value} {target}",
        )  # fmt: skip
        return handle.id

    typer.echo(f"planned: {_run(start)}")


@app.command("finding")
def finding(
    inspection_id: str = typer.Argument(...),
    finding_id: str = typer.Option(..., "--finding"),
    by: str = typer.Option(..., "--by"),
    item: str = typer.Option(..., "--item", help="The checklist item code."),
    description: str = typer.Option(..., "--description", help="No personal data."),
    responsible: str | None = typer.Option(None, "--responsible", help="Who must correct it."),
) -> None:
    """Record a finding; its correction deadline starts now."""
    u = RecordFindingUpdate(
        finding_id=finding_id, by=by, item=item, description=description,
        responsible_staff_id=responsible,
    )  # fmt: skip
    _echo(_run(lambda c: _update(c, inspection_id, UPDATE_RECORD_FINDING, u)))


@app.command("correct")
def correct(
    inspection_id: str = typer.Argument(...),
    finding_id: str = typer.Option(..., "--finding"),
    by: str = typer.Option(..., "--by"),
    note: str = typer.Option(..., "--note"),
) -> None:
    """Report a correction (verified later by the inspector or a supervisor)."""
    u = ReportCorrectionUpdate(finding_id=finding_id, by=by, note=note)
    _echo(_run(lambda c: _update(c, inspection_id, UPDATE_REPORT_CORRECTION, u)))


@app.command("verify")
def verify(
    inspection_id: str = typer.Argument(...),
    finding_id: str = typer.Option(..., "--finding"),
    by: str = typer.Option(..., "--by"),
    reject: bool = typer.Option(False, "--reject", help="Not corrected: say why in --note."),
    note: str = typer.Option("", "--note"),
) -> None:
    """Accept (default) or reject a reported correction."""
    u = VerifyCorrectionUpdate(finding_id=finding_id, by=by, accepted=not reject, note=note)
    _echo(_run(lambda c: _update(c, inspection_id, UPDATE_VERIFY_CORRECTION, u)))


@app.command("complete")
def complete(inspection_id: str = typer.Argument(...), by: str = typer.Option(..., "--by")) -> None:
    """The visit is over: no new findings; open ones keep their deadlines."""
    _echo(_run(lambda c: _update(c, inspection_id, UPDATE_COMPLETE, CompleteUpdate(by=by))))


@app.command("status")
def status(inspection_id: str = typer.Argument(...)) -> None:
    """The inspection's snapshot (JSON)."""

    async def query(client: Client) -> InspectionSnapshot:
        handle = client.get_workflow_handle(workflow_id(inspection_id))
        result: InspectionSnapshot = await handle.query("status", result_type=InspectionSnapshot)
        return result

    _echo(_run(query))
