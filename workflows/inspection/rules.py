"""Update validators of the Inspection workflow: why a message is refused.

They run before anything is written to history, so a refused update leaves no trace. In the
first moment of an inspection the context (checklist, supervisors) is still being read: then
the checks that need it run again in the handler once it is there (see workflow._checked).
"""

from __future__ import annotations

from workflows.inspection.messages import (
    CompleteUpdate,
    Finding,
    FindingState,
    InspectionContext,
    InspectionSnapshot,
    InspectionState,
    RecordFindingUpdate,
    ReportCorrectionUpdate,
    VerifyCorrectionUpdate,
)


def _refuse(reason: str) -> None:
    raise ValueError(reason)


def _may_inspect(snap: InspectionSnapshot, ctx: InspectionContext | None, by: str) -> None:
    """(七)2 the inspector, or a supervisor of the branch or of the province."""
    if by != snap.inspector_id and (ctx is None or by not in ctx.supervisors):
        if ctx is None:
            return  # decided once the supervisors are known
        _refuse(
            f"staff {by} is neither the inspector ({snap.inspector_id}) nor a supervisor "
            f"of branch {snap.branch_id} or of the province ((七)2)"
        )


def _finding(snap: InspectionSnapshot, finding_id: str) -> Finding:
    for f in snap.findings:
        if f.finding_id == finding_id:
            return f
    raise ValueError(f"inspection {snap.inspection_id} has no finding {finding_id}")


def record_finding(
    snap: InspectionSnapshot, ctx: InspectionContext | None, u: RecordFindingUpdate
) -> None:
    if snap.state != InspectionState.PLANNED:
        _refuse(f"inspection {snap.inspection_id} is {snap.state.value}: no new findings")
    _may_inspect(snap, ctx, u.by)
    codes = [c.code for c in snap.checklist]
    if ctx is not None and u.item not in codes:
        _refuse(f"item {u.item!r} is not on this inspection's checklist: {', '.join(codes)}")
    if any(f.finding_id == u.finding_id for f in snap.findings):
        _refuse(f"finding {u.finding_id} is already recorded")


def report_correction(
    snap: InspectionSnapshot, ctx: InspectionContext | None, u: ReportCorrectionUpdate
) -> None:
    f = _finding(snap, u.finding_id)
    if f.state != FindingState.OPEN:
        _refuse(f"finding {f.finding_id} is {f.state.value}, not waiting for a correction")


def verify_correction(
    snap: InspectionSnapshot, ctx: InspectionContext | None, u: VerifyCorrectionUpdate
) -> None:
    _may_inspect(snap, ctx, u.by)
    f = _finding(snap, u.finding_id)
    if f.state != FindingState.CORRECTED:
        _refuse(f"finding {f.finding_id} is {f.state.value}: no correction to verify")
    if not u.accepted and not u.note.strip():
        _refuse("say why the correction is not accepted")


def complete(snap: InspectionSnapshot, ctx: InspectionContext | None, u: CompleteUpdate) -> None:
    _may_inspect(snap, ctx, u.by)
    if snap.state != InspectionState.PLANNED:
        _refuse(f"inspection {snap.inspection_id} is already {snap.state.value}")
