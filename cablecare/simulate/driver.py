"""One case driven through the pure case logic exactly as `ServiceRequest` drives it.

Nothing here decides a rule. The workflow's loop is: start the clock when the case needs one
(the deadline computed by `cablecare.sla.limit_due_at`, as the `compute_deadline` activity
does), `deadlines.fire_due`, perform what the case recorded (accountability cases, outbox),
then sleep until `deadlines.next_deadline` or the next message. A message is a validator from
`rules.py` then a change from `transitions.py`, and the clock starts again when the case needs
it (`_apply`). This module repeats that loop in simulated time, so whatever the case logic
decides (new clocks, states, accountability) the simulation decides too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import workflows.service_request.deadlines as deadlines
import workflows.service_request.rules as rules
import workflows.service_request.transitions as transitions
from cablecare.calendar import BusinessCalendar
from cablecare.sla import limit_due_at
from workflows.service_request.case import Case, new_case
from workflows.service_request.messages import ServiceRequestInput, Update
from workflows.service_request.state import CaseContext

# The workflow's timer never waits less than a second (workflow.py `_DeadlineTimer.aim`).
MIN_TIMER = timedelta(seconds=1)

# Update name -> (validator, change): the wiring of workflows/service_request/updates.py.
Action = tuple[Callable[..., None], Callable[..., Any]]
ACTIONS: dict[Update, Action] = {
    Update.SUBMIT_MATERIALS: (rules.submit_materials, transitions.submit_materials),
    Update.ACKNOWLEDGE: (rules.acknowledge, transitions.acknowledge),
    Update.REFER: (rules.refer, transitions.refer),
    Update.SCHEDULE_VISIT: (rules.schedule_visit, transitions.schedule_visit),
    Update.REPORT_PROGRESS: (rules.report_progress, transitions.report_progress),
    Update.RESOLVE: (rules.resolve, transitions.resolve),
    Update.REPORT_UNREACHABLE: (rules.report_unreachable, transitions.report_unreachable),
    Update.REQUEST_EXTENSION: (rules.request_extension, transitions.request_extension),
    Update.DECIDE_EXTENSION: (rules.decide_extension, transitions.decide_extension),
    Update.DECLARE_FORCE_MAJEURE: (rules.declare_force_majeure, transitions.declare_force_majeure),
    Update.END_FORCE_MAJEURE: (rules.end_force_majeure, transitions.end_force_majeure),
    Update.RECORD_CALLBACK: (rules.record_callback, transitions.record_callback),
    Update.CANCEL: (rules.cancel, transitions.cancel),
}


@dataclass(frozen=True)
class Step:
    """A message sent to a case: what the real engine sends as an update at the same offset."""

    at: datetime
    update: Update
    message: Any  # the pydantic message model of that update

    def shifted(self, delta: timedelta) -> Step:
        """The same step `delta` later, times inside the message (a visit window) included."""
        moved = {name: value + delta for name, value in self.message if isinstance(value, datetime)}
        return Step(self.at + delta, self.update, self.message.model_copy(update=moved))


@dataclass
class Effects:
    """What the case recorded for the workflow to perform (its `_flush`)."""

    accountability_cases: list[str] = field(default_factory=list)
    notifications: int = 0


class DrivenCase:
    def __init__(
        self,
        data: ServiceRequestInput,
        ctx: CaseContext,
        calendar: BusinessCalendar,
        now: datetime,
        *,
        record: bool = False,
    ) -> None:
        self.calendar = calendar
        self.effects = Effects()
        self.refusals: list[str] = []
        self.steps: list[Step] | None = [] if record else None
        self.first_clock_start: datetime | None = None
        self.case: Case = new_case(data, ctx, now)
        self._woke = now
        # The deadline the workflow's timer would aim at, as of the end of the last pass of
        # the loop: only a pass of the loop changes the case (a refused message changes
        # nothing), so it stands until the next one.
        self._next: deadlines.Deadline | None = None
        self._loop(now)

    # --- the workflow's loop --------------------------------------------------------------
    def _start_clock(self, now: datetime) -> None:
        """As `ServiceRequest._start_clock` with the `compute_deadline` activity inlined."""
        case = self.case
        if not case.needs_clock():
            return
        s, policy = case.snap, case.ctx.policy
        limit = policy.time_limit(s.kind, s.severity, case.ctx.setting)
        start = case.data.clock_start_hint or now
        case.data.clock_start_hint = None
        transitions.start_clock(case, start, limit_due_at(limit, self.calendar, start))
        if self.first_clock_start is None:
            self.first_clock_start = case.snap.clock.started_at

    def _loop(self, now: datetime) -> None:
        if self.case.needs_clock():
            self._start_clock(now)
        # deadlines.fire_due, then the workflow's timer.aim(deadlines.next_deadline(case)).
        self._next = deadlines.fire_due_then_next(self.case, now)
        self._flush()
        self._woke = now

    def _flush(self) -> None:
        d = self.case.data
        if d.accountability:
            opened, d.accountability = d.accountability, []
            self.effects.accountability_cases += [a.case_id for a in opened]
        if d.outbox:
            outgoing, d.outbox = d.outbox, []
            self.effects.notifications += len(outgoing)
        if d.synced_step != d.step:
            d.synced_step = d.step  # records written: the timeline may drop old entries

    # --- simulated time -------------------------------------------------------------------
    def next_wake(self) -> datetime | None:
        """When the workflow's timer would fire next (None: nothing pending)."""
        if self.case.final:
            return None
        target = self._next
        return None if target is None else max(target.at, self._woke + MIN_TIMER)

    def advance(self, until: datetime) -> None:
        """Let every timer due up to `until` fire, each at its own moment."""
        while (wake := self.next_wake()) is not None and wake <= until:
            self._loop(wake)

    def send(self, update: Update, message: Any, now: datetime) -> bool:
        """An update at `now`: validated first (a refusal changes nothing), then applied."""
        self.advance(now)
        check, change = ACTIONS[update]
        case = self.case
        try:
            check(case, message, now)
        except ValueError as refusal:
            self.refusals.append(f"{update.value}: {refusal}")
            return False
        change(case, now, message)
        if case.needs_clock():  # materials completed (R4.1) or reopened by a callback (R5.2)
            self._start_clock(now)
        if self.steps is not None:
            self.steps.append(Step(now, update, message))
        self._loop(now)
        return True


def replay(
    data: ServiceRequestInput,
    ctx: CaseContext,
    calendar: BusinessCalendar,
    steps: list[Step],
    *,
    planned_at: datetime,
    start: datetime,
    until: datetime,
) -> DrivenCase:
    """A recorded case again, arriving at `start` instead of `planned_at`, run to `until`."""
    delta = start - planned_at
    driven = DrivenCase(data, ctx, calendar, start)
    for step in steps:
        moved = step.shifted(delta)
        driven.send(moved.update, moved.message, moved.at)
    driven.advance(until + delta)
    return driven
