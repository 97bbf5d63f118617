"""The timers of a case and what happens when each passes.

A case waits on one timer at a time: the earliest of these deadlines. When it fires, every
deadline that has passed is handled (R7.3 warning, R4.7 breach, R9.2 acknowledgement,
R5.1 callback, R9.7 appointment).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cablecare.domain import CaseState, Kind
from workflows.service_request import clock as clk
from workflows.service_request.case import Case
from workflows.service_request.state import EscalationKind


@dataclass(frozen=True)
class Deadline:
    at: datetime
    name: str
    summary: str  # shown on the timer in the Temporal UI


def pending(case: Case) -> list[Deadline]:
    s, policy = case.snap, case.ctx.policy
    out: list[Deadline] = []
    if case.final:
        return out
    c = s.clock
    solving = s.state in (CaseState.OPEN, CaseState.ASSIGNED, CaseState.IN_PROGRESS)
    if solving and clk.running(c) and c.due_at is not None:
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
    if s.kind == Kind.COMPLAINT and s.acknowledged_at is None and s.acknowledge_due_at is not None:
        if not any(e.kind == EscalationKind.ACKNOWLEDGE_OVERDUE for e in s.escalations):
            out.append(
                Deadline(
                    s.acknowledge_due_at,
                    "acknowledge",
                    f"{policy.acknowledge_hours} h complaint acknowledgement",
                )
            )
    if s.state == CaseState.AWAITING_CALLBACK and s.callback_due_at is not None:
        if not any(
            e.kind == EscalationKind.CALLBACK_OVERDUE and e.at >= (s.resolved_at or e.at)
            for e in s.escalations
        ):
            out.append(
                Deadline(s.callback_due_at, "callback", f"{policy.callback_hours} h callback")
            )
    v = s.visit
    if v is not None and solving and not v.kept and not v.missed:
        out.append(Deadline(v.window_end, "appointment", "visit appointment window"))
    return out


def next_deadline(case: Case) -> Deadline | None:
    return min(pending(case), key=lambda d: d.at, default=None)


def fire_due(case: Case, now: datetime) -> list[str]:
    """Handle every deadline that has passed; returns their names."""
    fired = [d for d in pending(case) if d.at <= now]
    for d in fired:
        _HANDLERS[d.name](case, now)
    return [d.name for d in fired]


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
        f"{s.clock.limit_label} due {case.when(s.clock.due_at)}",
    )


def _breach(case: Case, now: datetime) -> None:
    """R4.7 / R6.1: a breach escalates and opens an accountability case; work goes on."""
    s = case.snap
    s.clock = s.clock.model_copy(update={"breached": True, "breached_at": now})
    rule = s.clock.rule or "R4.3"
    case.escalate(
        now,
        EscalationKind.BREACH,
        rule,
        case.supervisors_for_breach(),
        f"{s.clock.limit_label} breached",
        accountable=s.technician_id or s.owner_id,
    )


def _acknowledge(case: Case, now: datetime) -> None:
    """R9.2: a complaint not acknowledged within 4 h; the owner answers for it."""
    s = case.snap
    to = list(case.ctx.supervisors) + (case.ctx.leaders if case.urgent else [])
    case.escalate(
        now,
        EscalationKind.ACKNOWLEDGE_OVERDUE,
        "R9.2",
        to,
        "complaint not acknowledged in time",
        accountable=s.owner_id,
    )


def _callback(case: Case, now: datetime) -> None:
    """R5.1: a missing callback escalates; the callback is still owed."""
    case.escalate(
        now,
        EscalationKind.CALLBACK_OVERDUE,
        "R5.1",
        list(case.ctx.supervisors),
        "callback not made in time",
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
    )


_HANDLERS = {
    "warning": _warning,
    "breach": _breach,
    "acknowledge": _acknowledge,
    "callback": _callback,
    "appointment": _appointment,
}
