"""The timers of a case and what happens when each passes.

A case waits on one timer at a time: the earliest of these deadlines. When it fires, every
deadline that has passed is handled (R7.3 warning, R4.7 breach, (九)2 first response,
(九)6 callback, (五)1 tracking, (四)6 first action, (四)5 materials window, R9.7 appointment).
New clocks are deadlines here, never extra timers: the workflow keeps one durable timer aimed
at the earliest of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cablecare.domain import FINAL_STATES, CaseState, Kind
from cablecare.policy import Violation
from workflows.service_request import clock as clk
from workflows.service_request import transitions
from workflows.service_request.case import ACTIVE_STATES, Case, material_names
from workflows.service_request.state import Escalation, EscalationKind


@dataclass(frozen=True)
class Deadline:
    at: datetime
    name: str
    summary: str  # shown on the timer in the Temporal UI


def pending(case: Case) -> list[Deadline]:
    s, policy = case.snap, case.ctx.policy
    out: list[Deadline] = []
    state = s.state
    if state in FINAL_STATES:
        return out
    escalations = s.escalations
    c = s.clock
    solving = state in ACTIVE_STATES
    if solving and c.due_at is not None and c.started_at is not None and not c.paused:
        # clk.running(c) and a due time
        if not c.warned:
            at = clk.warning_at(c, policy.warning_fraction)
            assert at is not None
            out.append(
                Deadline(
                    at, "warning", f"{int(policy.warning_fraction * 100)}% warning: {c.limit_label}"
                )
            )
        if not c.breached:
            out.append(Deadline(c.due_at, "breach", c.limit_label or "deadline"))
    # (九)2 确保4小时应答: any first response stops it (acknowledgement, contact, referral,
    # visit, progress, resolution), not only the `acknowledge` update.
    if s.kind == Kind.COMPLAINT and s.first_response_at is None and s.acknowledge_due_at:
        if not _escalated(escalations, EscalationKind.ACKNOWLEDGE_OVERDUE):
            out.append(
                Deadline(
                    s.acknowledge_due_at,
                    "acknowledge",
                    f"{policy.acknowledge_hours} h complaint response",
                )
            )
    if s.tracking_due_at is not None and s.tracked_at is None:
        if not _escalated(escalations, EscalationKind.TRACKING_OVERDUE):
            out.append(Deadline(s.tracking_due_at, "tracking", "72 h work-order tracking"))
    if s.accept_due_at is not None and s.accepted_at is None and solving:
        if not _escalated(escalations, EscalationKind.FIRST_ACTION_OVERDUE):
            out.append(Deadline(s.accept_due_at, "first_action", "urgent: first action"))
    if state == CaseState.AWAITING_MATERIALS and s.materials_lapse_at is not None:
        window = timedelta(days=policy.materials_window_days or 0)
        if not s.materials_reminded:
            out.append(
                Deadline(s.materials_lapse_at - window / 2, "materials_reminder", "materials")
            )
        out.append(Deadline(s.materials_lapse_at, "materials_lapsed", "materials window"))
    if state == CaseState.AWAITING_CALLBACK and s.callback_due_at is not None:
        if not any(
            e.kind == EscalationKind.CALLBACK_OVERDUE and e.at >= (s.resolved_at or e.at)
            for e in escalations
        ):
            out.append(
                Deadline(s.callback_due_at, "callback", f"{policy.callback_hours} h callback")
            )
    v = s.visit
    if v is not None and solving and not v.kept and not v.missed:
        out.append(Deadline(v.window_end, "appointment", "visit appointment window"))
    return out


def _escalated(escalations: list[Escalation], kind: EscalationKind) -> bool:
    for e in escalations:
        if e.kind == kind:
            return True
    return False


def _at(d: Deadline) -> datetime:
    return d.at


def next_deadline(case: Case) -> Deadline | None:
    return min(pending(case), key=_at, default=None)


def fire_due(case: Case, now: datetime) -> list[str]:
    """Handle every deadline that has passed; returns their names."""
    fired = [d for d in pending(case) if d.at <= now]
    for d in fired:
        _HANDLERS[d.name](case, now)
    return [d.name for d in fired]


def fire_due_then_next(case: Case, now: datetime) -> Deadline | None:
    """`fire_due(case, now)` then `next_deadline(case)`: the same two calls, with the pending
    deadlines computed once when none has passed (nothing fired, nothing changed)."""
    due = pending(case)
    fired = [d for d in due if d.at <= now]
    if not fired:
        return min(due, key=_at, default=None)
    for d in fired:
        _HANDLERS[d.name](case, now)
    return next_deadline(case)


def _warning(case: Case, now: datetime) -> None:
    """R7.3: warn the assignee and the owner before the limit passes."""
    s = case.snap
    s.clock = s.clock.model_copy(update={"warned": True})
    to = [x for x in (s.technician_id, s.owner_id) if x]
    case.escalate(
        now,
        EscalationKind.WARNING,
        "R7.3",
        to,
        f"{s.clock.limit_label} due {case.shown(s.clock.due_at)}",
    )


def _breach(case: Case, now: datetime) -> None:
    """R4.7 / R6.1: a breach escalates and opens an accountability case; work goes on."""
    s = case.snap
    s.clock = s.clock.model_copy(update={"breached": True, "breached_at": now})
    rule = s.clock.rule or "R4.3"
    limit = case.ctx.policy.time_limit(s.kind, s.severity, case.ctx.setting)
    # Item 12: an operator's own limit (consultations) opens no case unless the policy says so.
    accountable = (s.technician_id or s.owner_id) if limit.opens_accountability else None
    case.escalate(
        now,
        EscalationKind.BREACH,
        rule,
        case.supervisors_for_breach(),
        f"{s.clock.limit_label} breached",
        accountable=accountable,
        violation=Violation.BREACH,
    )


def _acknowledge(case: Case, now: datetime) -> None:
    """(九)2: no response of any kind to a complainant within 4 h; the owner answers for it."""
    s = case.snap
    to = list(case.ctx.supervisors) + (case.ctx.leaders if case.urgent else [])
    case.escalate(
        now,
        EscalationKind.ACKNOWLEDGE_OVERDUE,
        "R9.2",
        to,
        "complaint not answered in time",
        accountable=s.owner_id,
        violation=Violation.ACKNOWLEDGE_OVERDUE,
    )


def _callback(case: Case, now: datetime) -> None:
    """(九)6: a missing callback escalates (and opens a case when the policy says so, (六)2);
    the callback is still owed."""
    case.escalate(
        now,
        EscalationKind.CALLBACK_OVERDUE,
        "R9.6",
        list(case.ctx.supervisors),
        "callback not made in time",
        accountable=case.snap.owner_id,
        violation=Violation.CALLBACK_OVERDUE,
    )


def _tracking(case: Case, now: datetime) -> None:
    """(五)1: the work order was not tracked within 72 h of the customer's call."""
    case.escalate(
        now,
        EscalationKind.TRACKING_OVERDUE,
        "R5.1",
        list(case.ctx.supervisors),
        "work order not tracked within 72 h of the call",
        accountable=case.snap.owner_id,
        violation=Violation.TRACKING_OVERDUE,
    )


def _first_action(case: Case, now: datetime) -> None:
    """(四)6 急事急辦: an urgent case not taken up within the policy's first-action limit."""
    s = case.snap
    case.escalate(
        now,
        EscalationKind.FIRST_ACTION_OVERDUE,
        "R4.6",
        list(case.ctx.supervisors) + list(case.ctx.leaders),
        "urgent case not taken up in time",
        accountable=s.technician_id or s.owner_id,
        violation=Violation.FIRST_ACTION_OVERDUE,
    )


def _materials_reminder(case: Case, now: datetime) -> None:
    """(四)5: half-way through the window the customer is reminded of everything missing."""
    s = case.snap
    s.materials_reminded = True
    case.log(now, "materials.reminded", detail=", ".join(s.missing_materials))
    case.notify_subscriber(
        "materials_reminder",
        items=material_names(case, s.missing_materials),
        lapses_at=case.when(s.materials_lapse_at),
    )


def _materials_lapsed(case: Case, now: datetime) -> None:
    """(四)5 客戶手續不齊全，又不及時補辦的: deemed completed by the department on time, with a
    written report to the business lead at once."""
    s = case.snap
    report = "materials not supplemented within the window: " + ", ".join(s.missing_materials)
    transitions.deem_completed(
        case,
        now,
        reason="materials_not_completed",
        attempted_at=now,
        by="system",
        report=report,
    )


def _appointment(case: Case, now: datetime) -> None:
    """R9.7: a missed appointment is a violation."""
    s = case.snap
    assert s.visit is not None
    s.visit.missed = True
    case.escalate(
        now,
        EscalationKind.APPOINTMENT_MISSED,
        "R9.7",
        list(case.ctx.supervisors),
        "visit appointment missed",
        accountable=s.visit.technician_id,
        violation=Violation.APPOINTMENT_MISSED,
    )


_HANDLERS = {
    "warning": _warning,
    "breach": _breach,
    "acknowledge": _acknowledge,
    "callback": _callback,
    "tracking": _tracking,
    "first_action": _first_action,
    "materials_reminder": _materials_reminder,
    "materials_lapsed": _materials_lapsed,
    "appointment": _appointment,
}
