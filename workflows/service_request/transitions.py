"""What each accepted message does to a case. Validation happened before (rules.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from cablecare.domain import CaseState, ProgressStatus, UnreachableReason
from workflows.service_request import clock as clk
from workflows.service_request.case import Case
from workflows.service_request.messages import (
    AcknowledgeUpdate,
    AnswerLeadershipUpdate,
    CancelUpdate,
    DecideExtensionUpdate,
    ForceMajeureUpdate,
    NetworkBuiltUpdate,
    RecordCallbackUpdate,
    RecordTrackingUpdate,
    ReferUpdate,
    ReportProgressUpdate,
    ReportToLeaderUpdate,
    ReportUnreachableUpdate,
    RequestExtensionUpdate,
    ResolveUpdate,
    ScheduleVisitUpdate,
    SubmitMaterialsUpdate,
)
from workflows.service_request.state import (
    CallbackEntry,
    DeemedCompletion,
    EscalationKind,
    LeadershipQuestion,
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
    case.log(now, "clock.started", detail=f"{limit.label}, due {case.shown(s.clock.due_at)}")
    if s.clock.round == 1 and s.kind.value != "complaint":
        case.notify_subscriber("case_received", due_at=case.when(s.clock.due_at))
    technician = s.technician_id or case.ctx.area_technician_id
    if technician is not None:
        assign(case, now, technician, by="system")
    accept_hours = case.ctx.policy.urgent_accept_hours
    if case.urgent and accept_hours is not None and s.clock.round == 1:
        # (四)6 急事急辦，隨到隨辦: dispatched at once by phone to the owner and the technician,
        # and taken up within the policy's first-action limit (its own deadline).
        s.accept_due_at = now + timedelta(hours=accept_hours)
        case.phone_staff(
            [x for x in (s.owner_id, s.technician_id) if x],
            "urgent_dispatch",
            reason="重要客户" if case.ctx.key_account else "重大" + _KIND_SHORT_ZH[s.kind.value],
            accept_by=case.when(s.accept_due_at),
        )


_KIND_SHORT_ZH = {
    "fault": "故障",
    "complaint": "投诉",
    "installation": "新装",
    "restoration": "复通",
    "consultation": "咨询",
}


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
    elif s.network_pending:  # (四)4 complete, but the network is not built yet
        s.state = CaseState.AWAITING_NETWORK
        case.log(now, "network.pending", detail="(四)4 network not yet built at this address")


def acknowledge(case: Case, now: datetime, u: AcknowledgeUpdate) -> None:
    """(九)2: the complaint is answered: an acknowledgement, a call-back or a contact recorded
    by staff (the note says which)."""
    s = case.snap
    s.acknowledged_at = now
    s.first_response_at = s.first_response_at or now
    s.accepted_at = s.accepted_at or now  # (四)6 an urgent complaint is taken up
    case.log(now, "acknowledged", by=u.by, detail=u.note)
    case.notify_subscriber("complaint_acknowledged", due_at=case.when(s.clock.due_at))


def refer(case: Case, now: datetime, u: ReferUpdate) -> None:
    """(二)6 / (二)9: referred with reason; the customer is told the department, its address
    and its contact; `contacted` says whether staff reached the department. The owner stays
    the owner (R2.1). Telling the customer where to go is a response ((九)2)."""
    s = case.snap
    s.referrals.append(
        Referral(
            by=u.by,
            at=now,
            department=u.department,
            contact=u.contact,
            reason=u.reason,
            contacted=u.contacted,
            address=u.address,
        )
    )
    s.first_response_at = s.first_response_at or now
    contacted = "department contacted" if u.contacted else "department not contacted"
    case.log(now, "referred", by=u.by, detail=f"to {u.department} ({contacted}): {u.reason}")
    case.notify_subscriber(
        "case_referred",
        department=u.department,
        address=u.address or "请致电咨询",
        contact=u.contact,
    )


def record_tracking(case: Case, now: datetime, u: RecordTrackingUpdate) -> None:
    """(五)1: the service desk tracked what happened to the work order."""
    s = case.snap
    s.tracked_at = now
    s.tracking_note = u.note
    case.log(now, "tracked", by=u.by, detail=u.note)


def report_to_leader(case: Case, now: datetime, u: ReportToLeaderUpdate) -> None:
    """(二)7 / (二)8: an unclear, major or urgent matter is reported to leadership."""
    s = case.snap
    q = LeadershipQuestion(
        seq=len(s.leadership_questions) + 1,
        by=u.by,
        at=now,
        matter=u.matter.value,
        question=u.question,
    )
    s.leadership_questions.append(q)
    case.log(now, "leadership.asked", by=u.by, detail=f"#{q.seq} {u.matter.value}: {u.question}")
    case.notify_staff(
        case.ctx.leaders,
        "leadership_question",
        matter=_MATTER_ZH[u.matter.value],
        question=u.question,
    )


_MATTER_ZH = {"unclear": "把握不准", "major": "特别重大", "urgent": "紧急"}


def answer_leadership(case: Case, now: datetime, u: AnswerLeadershipUpdate) -> None:
    """(二)7: the leader's answer, so the first-responsible person can answer the customer."""
    s = case.snap
    q = next(x for x in s.leadership_questions if x.seq == u.question_seq)
    q.answered_by, q.answered_at, q.answer = u.leader_id, now, u.answer
    case.log(now, "leadership.answered", by=u.leader_id, detail=f"#{q.seq}: {u.answer}")
    case.notify_staff([q.by], "leadership_answer", answer=u.answer)


def report_network_built(case: Case, now: datetime, u: NetworkBuiltUpdate) -> None:
    """(四)4: the network department reports construction complete; the clock may start."""
    s = case.snap
    s.network_pending = False
    s.network_built_at = now
    if s.state == CaseState.AWAITING_NETWORK:
        s.state = CaseState.OPEN
    case.log(now, "network.built", by=u.by, detail=u.note)


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
        detail=f"{case.shown(u.window_start)} - {case.shown(u.window_end)}",
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
    s.accepted_at = s.accepted_at or now  # (四)6 the case is taken up
    if u.status == ProgressStatus.ON_SITE and s.visit is not None and not s.visit.missed:
        s.visit.kept = True
    case.log(now, f"progress.{u.status.value}", by=u.technician_id, detail=u.note)


def resolve(case: Case, now: datetime, u: ResolveUpdate) -> None:
    """R5.1 / R9.6: repairs, complaints and installations wait for their 72 h callback."""
    s = case.snap
    s.resolved_at = now
    s.resolution = u.resolution
    s.first_response_at = s.first_response_at or now
    s.accepted_at = s.accepted_at or now
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
    """(四)5: deemed completed on time, as of the attempt, with the written report."""
    deem_completed(
        case,
        now,
        reason=u.reason.value,
        attempted_at=u.attempted_at or now,
        by=u.technician_id,
        report=u.report,
    )


def deem_completed(
    case: Case, now: datetime, *, reason: str, attempted_at: datetime, by: str, report: str
) -> None:
    """(四)5 視為受理部門按期辦結, 同時...第一時間向業務負責人書面報告: the case is completed on
    time as of the attempt (or the lapse of the materials window); the written report goes to
    the business lead at once. A breach escalation raised after an on-time attempt is withdrawn,
    with the reason, and the deciders are told to withdraw its accountability case."""
    s = case.snap
    due = s.clock.due_at
    on_time = due is None or attempted_at <= due
    s.state = CaseState.DEEMED_COMPLETED
    s.closed_at = now
    s.deemed = DeemedCompletion(
        reason=reason, attempted_at=attempted_at, reported_at=now, reported_by=by, on_time=on_time
    )
    case.log(
        now,
        "deemed_completed",
        by=by,
        detail=f"{reason} at {case.shown(attempted_at)}: {report}",
    )
    case.escalate(now, EscalationKind.UNREACHABLE_REPORT, "R4.5", case.ctx.business_leads, reason)
    case.notify_staff(
        case.ctx.business_leads,
        "unreachable_report",
        reason=reason,
        reason_zh=_REASON_ZH[UnreachableReason(reason)],
        attempted_at=case.when(attempted_at),
        report=report,
    )
    if on_time:
        _withdraw_breaches(case, now, attempted_at)


def _withdraw_breaches(case: Case, now: datetime, attempted_at: datetime) -> None:
    s = case.snap
    why = (
        f"(四)5: attempt at {case.shown(attempted_at)} "
        f"was before the deadline {case.shown(s.clock.due_at)}"
    )
    withdrawn = [
        e
        for e in s.escalations
        if e.kind == EscalationKind.BREACH and e.at >= attempted_at and e.withdrawn_at is None
    ]
    for e in withdrawn:
        e.withdrawn_at, e.withdrawn_reason = now, why
    if not withdrawn:
        return
    s.clock = s.clock.model_copy(update={"breached": False, "breached_at": None})
    cases = [e.accountability_case_id for e in withdrawn if e.accountability_case_id]
    case.log(now, "escalation.withdrawn", detail=f"{why}; accountability {', '.join(cases)}")
    to = [x for e in withdrawn for x in e.to]
    case.notify_staff(
        to,
        "escalation_withdrawn",
        reason="上门或联系时间在期限内",
        case_ids="、".join(cases) or "无",
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
            detail=f"+{pending.extra_hours} h, due {case.shown(s.clock.due_at)}",
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
        detail=f"{u.reason}; due {case.shown(s.clock.due_at)}",
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
    if u.reached:
        s.tracked_at = s.tracked_at or now  # (五)1 a callback that reached the customer tracks it
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
