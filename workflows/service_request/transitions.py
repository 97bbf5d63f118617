"""What each accepted message does to a case. Validation happened before (rules.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from cablecare.domain import CaseState, ProgressStatus, UnreachableReason
from workflows.service_request import clock as clk
from workflows.service_request.case import Case
from workflows.service_request.messages import (
    AcknowledgeUpdate,
    CancelUpdate,
    DecideExtensionUpdate,
    ForceMajeureUpdate,
    RecordCallbackUpdate,
    ReferUpdate,
    ReportProgressUpdate,
    ReportUnreachableUpdate,
    RequestExtensionUpdate,
    ResolveUpdate,
    ScheduleVisitUpdate,
    SubmitMaterialsUpdate,
)
from workflows.service_request.state import (
    CallbackEntry,
    EscalationKind,
    PendingExtension,
    Referral,
    Visit,
)


def start_clock(case: Case, now: datetime, base_due_at: datetime) -> None:
    """R4.1 the clock starts now; R3.1 the area's technician gets the case automatically."""
    s = case.snap
    limit = case.ctx.policy.time_limit(s.kind, s.severity, case.ctx.setting)
    s.clock = clk.started(
        s.clock, at=now, base_due_at=base_due_at, label=limit.label, rule=limit.rule
    )
    s.state = CaseState.OPEN
    case.log(now, "clock.started", detail=f"{limit.label}, due {case.when(s.clock.due_at)}")
    if s.clock.round == 1 and s.kind.value != "complaint":
        case.notify_subscriber("case_received", due_at=case.when(s.clock.due_at))
    technician = s.technician_id or case.ctx.area_technician_id
    if technician is not None:
        assign(case, now, technician, by="system")


def assign(case: Case, now: datetime, technician_id: str, by: str) -> None:
    s = case.snap
    s.technician_id = technician_id
    if s.state == CaseState.OPEN:
        s.state = CaseState.ASSIGNED
    case.log(now, "assigned", by=by, detail=technician_id)
    case.notify_staff([technician_id], "staff_assigned", due_at=case.when(s.clock.due_at))


def submit_materials(case: Case, now: datetime, u: SubmitMaterialsUpdate) -> None:
    s = case.snap
    s.materials = list(dict.fromkeys([*s.materials, *u.items]))
    s.missing_materials = case.ctx.policy.missing_materials(s.kind, s.materials)
    case.log(now, "materials.submitted", by=u.by, detail=", ".join(u.items))
    if s.missing_materials:  # R2.5 the complete remaining list, once
        case.log(now, "materials.missing", detail=", ".join(s.missing_materials))


def acknowledge(case: Case, now: datetime, u: AcknowledgeUpdate) -> None:
    """R9.2: the complaint is acknowledged to the customer."""
    s = case.snap
    s.acknowledged_at = now
    s.first_response_at = s.first_response_at or now
    case.log(now, "acknowledged", by=u.by, detail=u.note)
    case.notify_subscriber("complaint_acknowledged", due_at=case.when(s.clock.due_at))


def refer(case: Case, now: datetime, u: ReferUpdate) -> None:
    """R2.6: referred with reason and contact; the owner stays the owner (R2.1)."""
    case.snap.referrals.append(
        Referral(by=u.by, at=now, department=u.department, contact=u.contact, reason=u.reason)
    )
    case.log(now, "referred", by=u.by, detail=f"to {u.department}: {u.reason}")


def schedule_visit(case: Case, now: datetime, u: ScheduleVisitUpdate) -> None:
    """R9.7: home visits by appointment."""
    s = case.snap
    s.visit = Visit(
        technician_id=u.technician_id, window_start=u.window_start, window_end=u.window_end
    )
    s.first_response_at = s.first_response_at or now
    case.log(
        now,
        "visit.scheduled",
        by=u.technician_id,
        detail=f"{case.when(u.window_start)} - {case.when(u.window_end)}",
    )
    case.notify_subscriber(
        "visit_scheduled",
        technician_id=u.technician_id,
        window_start=case.when(u.window_start),
        window_end=case.when(u.window_end),
    )


def report_progress(case: Case, now: datetime, u: ReportProgressUpdate) -> None:
    s = case.snap
    s.state = CaseState.IN_PROGRESS
    s.first_response_at = s.first_response_at or now
    if u.status == ProgressStatus.ON_SITE and s.visit is not None and not s.visit.missed:
        s.visit.kept = True
    case.log(now, f"progress.{u.status.value}", by=u.technician_id, detail=u.note)


def resolve(case: Case, now: datetime, u: ResolveUpdate) -> None:
    """R5.1 / R9.6: repairs, complaints and installations wait for their 72 h callback."""
    s = case.snap
    s.resolved_at = now
    s.resolution = u.resolution
    s.first_response_at = s.first_response_at or now
    if s.visit is not None and not s.visit.missed:
        s.visit.kept = True
    case.log(now, "resolved", by=u.by, detail=u.resolution)
    case.notify_subscriber("case_resolved")
    if case.ctx.policy.needs_callback(s.kind):
        s.state = CaseState.AWAITING_CALLBACK
        s.callback_due_at = now + timedelta(hours=case.ctx.policy.callback_hours)
    else:
        s.state = CaseState.CLOSED
        s.closed_at = now


_REASON_ZH = {
    UnreachableReason.NOT_HOME: "不在家",
    UnreachableReason.UNREACHABLE: "无法联系",
    UnreachableReason.MATERIALS_NOT_COMPLETED: "未补齐材料",
}


def report_unreachable(case: Case, now: datetime, u: ReportUnreachableUpdate) -> None:
    """R4.5: deemed completed on time, with the written report sent at once to the business lead."""
    s = case.snap
    s.state = CaseState.DEEMED_COMPLETED
    s.closed_at = now
    case.log(now, "deemed_completed", by=u.technician_id, detail=f"{u.reason.value}: {u.report}")
    case.escalate(
        now, EscalationKind.UNREACHABLE_REPORT, "R4.5", case.ctx.business_leads, u.reason.value
    )
    case.notify_staff(
        case.ctx.business_leads,
        "unreachable_report",
        reason=u.reason.value,
        reason_zh=_REASON_ZH[u.reason],
        report=u.report,
    )


def request_extension(case: Case, now: datetime, u: RequestExtensionUpdate) -> None:
    """R4.6: a request alone changes nothing; it waits for a leader."""
    case.snap.pending_extension = PendingExtension(
        by=u.by, reason=u.reason, extra_hours=u.extra_hours, requested_at=now
    )
    case.log(now, "extension.requested", by=u.by, detail=f"+{u.extra_hours} h: {u.reason}")
    case.notify_staff(
        case.ctx.leaders,
        "staff_escalation",
        reason=f"extension +{u.extra_hours} h requested",
        rule="R4.6",
    )


def decide_extension(case: Case, now: datetime, u: DecideExtensionUpdate) -> None:
    s = case.snap
    pending = s.pending_extension
    assert pending is not None
    s.pending_extension = None
    if u.approved:
        s.clock = clk.extended(s.clock, pending.extra_hours)
        case.log(
            now,
            "extension.approved",
            by=u.leader_id,
            detail=f"+{pending.extra_hours} h, due {case.when(s.clock.due_at)}",
        )
    else:
        case.log(now, "extension.refused", by=u.leader_id, detail=u.note)


def declare_force_majeure(case: Case, now: datetime, u: ForceMajeureUpdate) -> None:
    """R9.4: only a leader's declaration suspends the clock."""
    case.snap.clock = clk.paused(case.snap.clock, now)
    case.log(now, "force_majeure.declared", by=u.leader_id, detail=u.reason)


def end_force_majeure(case: Case, now: datetime, u: ForceMajeureUpdate) -> None:
    s = case.snap
    s.clock = clk.resumed(s.clock, now)
    case.log(
        now,
        "force_majeure.ended",
        by=u.leader_id,
        detail=f"{u.reason}; due {case.when(s.clock.due_at)}",
    )


def record_callback(case: Case, now: datetime, u: RecordCallbackUpdate) -> bool:
    """R5.3 every callback is recorded. Returns True when the case reopens (R5.2)."""
    s = case.snap
    s.callbacks.append(
        CallbackEntry(
            seq=case.data.step + 1,
            agent_id=u.agent_id,
            at=now,
            reached=u.reached,
            satisfied=u.satisfied,
            problem_found=u.problem_found,
            note=u.note,
        )
    )
    case.log(
        now,
        "callback",
        by=u.agent_id,
        detail=f"reached={u.reached} satisfied={u.satisfied} problem_found={u.problem_found}",
    )
    if u.problem_found:
        # R5.2: solved again, with a new time limit and a new callback after.
        case.data.reopened_count += 1
        s.resolved_at = None
        s.resolution = None
        s.callback_due_at = None
        s.clock = s.clock.model_copy(update={"started_at": None})
        s.state = CaseState.OPEN
        case.log(now, "reopened", by=u.agent_id, detail=u.note)
        return True
    if u.reached:
        s.state = CaseState.CLOSED
        s.closed_at = now
        case.log(now, "closed", by=u.agent_id)
    return False


def cancel(case: Case, now: datetime, u: CancelUpdate) -> None:
    s = case.snap
    s.state = CaseState.CANCELLED
    s.cancel_reason = u.reason
    s.closed_at = now
    case.log(now, "cancelled", by=u.by, detail=u.reason)
