"""The fast engine: a discrete-event simulation of the staff around the real case logic.

Technicians (one job at a time, within their shift) take the queued job with the earliest
deadline, as the case states it; travel, repair, a customer not at home, missing parts; the
desk acknowledges and answers complaints and consultations; callback agents call. Every one of
those acts is a message to the case (`DrivenCase.send`): the case logic validates it, changes
state, starts clocks, fires deadlines, escalates and opens accountability cases.
"""

from __future__ import annotations

import gc
import heapq
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from random import Random
from typing import Any, TypeVar, cast

from pydantic import BaseModel

from cablecare.domain import CaseState, Kind, ProgressStatus, Role, UnreachableReason
from cablecare.simulate.driver import DrivenCase, Step
from cablecare.simulate.generate import Arrival, Directory, Window, draws
from cablecare.simulate.intake import Intake
from cablecare.simulate.outcome import CaseOutcome, outcome_of
from cablecare.simulate.workload import FIELD_KINDS, LogNormal, Workload
from workflows.service_request.messages import (
    AcknowledgeUpdate,
    RecordCallbackUpdate,
    ReportProgressUpdate,
    ReportUnreachableUpdate,
    ResolveUpdate,
    ScheduleVisitUpdate,
    ServiceRequestInput,
    StaffRef,
    SubmitMaterialsUpdate,
    Update,
)
from workflows.service_request.state import CaseContext

M = TypeVar("M", bound=BaseModel)

# After the month, open cases run on until their clocks and callbacks have played out.
RUN_OUT = timedelta(days=30)
APPOINTMENT = timedelta(hours=2)  # R9.7 the window a dispatcher promises: now .. +2 h
ON_SITE_REPORT = timedelta(minutes=5)


@contextmanager
def _few_collections() -> Iterator[None]:
    """The month allocates millions of small objects and keeps a hundred thousand outcomes:
    with the default thresholds (a young collection every 700 allocations) the cyclic garbage
    collector walked every live object again and again, a quarter of the run's CPU at 100,000
    requests. During the run, the objects made before it are left out of collections
    (`gc.freeze`) and collections come 100,000 allocations apart; they still run (what the
    engine drops is freed by reference counting; the few cycles wait a little longer). Both
    are restored afterwards. Outcomes do not depend on it."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _sample(rng: Random, d: LogNormal, unit: timedelta) -> timedelta:
    return unit * rng.lognormvariate(d.mu, d.sigma)


@dataclass
class _Live:
    arrival: Arrival
    driven: DrivenCase
    visits: int = 0
    callbacks: int = 0
    callbacks_owed: int = 0
    round_calls: int = 0  # callback attempts since the last resolution
    rounds: int = 1


@dataclass
class _Area:
    technicians: int
    free: int
    queue: list[tuple[datetime, int, str]] = field(default_factory=list)  # (due, seq, id)
    busy_seconds: float = 0.0
    wake_at: datetime | None = None


@dataclass
class MonthResult:
    outcomes: list[CaseOutcome]
    technicians: dict[str, int]
    busy_hours: dict[str, float]  # within the window
    shift_hours: dict[str, float]  # technician-hours on shift within the window
    steps: dict[str, tuple[ServiceRequestInput, datetime, list[Step]]] = field(default_factory=dict)


class FastEngine:
    def __init__(
        self,
        workload: Workload,
        directory: Directory,
        intake: Intake,
        seed: int,
        *,
        record: bool = False,
        progress: Callable[[float], None] | None = None,
    ) -> None:
        self.w, self.directory, self.intake, self.seed = workload, directory, intake, seed
        self.policy = intake.policy
        self.record = record
        self.progress = progress
        self._events: list[tuple[datetime, int, Callable[..., None], tuple[Any, ...]]] = []
        self._seq = 0
        self._live: dict[str, _Live] = {}
        self._outcomes: list[CaseOutcome] = []
        self._steps: dict[str, tuple[ServiceRequestInput, datetime, list[Step]]] = {}
        self._areas: dict[str, _Area] = {}
        for area in directory.areas.values():
            staffing = workload.technicians.areas.get(area.area_id)
            count = staffing.count if staffing and staffing.count is not None else None
            n = count if count is not None else len(area.technicians)
            n = max(0, round(n * workload.scale)) if count is None else n
            self._areas[area.area_id] = _Area(technicians=n, free=n)
        self._window: Window | None = None
        self._agents: dict[int, tuple[CaseContext, str | None]] = {}
        # Messages are values the case logic only reads: the same one is validated once.
        self._messages: dict[tuple[Any, ...], Any] = {}

    # --- events ---------------------------------------------------------------------------
    def _at(self, t: datetime, fn: Callable[..., None], *args: Any) -> None:
        self._seq += 1
        heapq.heappush(self._events, (t, self._seq, fn, args))

    def run(self, arrivals: list[Arrival], window: Window) -> MonthResult:
        with _few_collections():
            return self._run(arrivals, window)

    def _run(self, arrivals: list[Arrival], window: Window) -> MonthResult:
        self._window = window
        for a in arrivals:
            self._at(a.at, self._arrive, a)
        horizon = window.end + RUN_OUT
        span = (window.end - window.start).total_seconds()
        last_tick = window.start
        while self._events:
            t, _, fn, args = heapq.heappop(self._events)
            if t > horizon:
                break
            fn(t, *args)
            if self.progress and t - last_tick >= timedelta(hours=6):
                last_tick = t
                self.progress(min((t - window.start).total_seconds() / span, 1.0))
        for rid in list(self._live):
            self._live[rid].driven.advance(horizon)
            self._finish(rid)
        if self.progress:
            self.progress(1.0)
        self._outcomes.sort(key=lambda o: o.request_id)
        return MonthResult(
            outcomes=self._outcomes,
            technicians={k: a.technicians for k, a in self._areas.items()},
            busy_hours={k: a.busy_seconds / 3600 for k, a in self._areas.items()},
            shift_hours={
                k: self._shift_hours(window) * a.technicians for k, a in self._areas.items()
            },
            steps=self._steps,
        )

    def _shift_hours(self, window: Window) -> float:
        t = self.w.technicians
        days = (window.end - window.start).total_seconds() / 86400
        return days * (t.shift_end_hour - t.shift_start_hour)

    # --- a request's life -----------------------------------------------------------------
    def _arrive(self, now: datetime, a: Arrival) -> None:
        required = [m.code for m in self.policy.required_materials(a.kind)]
        brought = required[:-1] if a.incomplete and required else required
        data = ServiceRequestInput(
            request_id=a.request_id,
            kind=a.kind,
            severity=a.severity,
            subscriber_id=a.subscriber_id,
            channel=a.channel,
            received_by=[StaffRef(staff_id=a.received_by, rank=1)],
            materials=brought,
        )
        driven = DrivenCase(
            data, self.intake.context(a), self.intake.calendar, now, record=self.record
        )
        live = _Live(a, driven)
        self._live[a.request_id] = live
        if self.record:
            assert driven.steps is not None
            self._steps[a.request_id] = (data, now, driven.steps)
        if driven.case.snap.missing_materials:
            rng = draws(self.seed, a, "materials")
            self._at(
                now + _sample(rng, self.w.materials.bring_hours, timedelta(hours=1)),
                self._materials,
                a.request_id,
            )
        else:
            self._work(now, live)

    def _materials(self, now: datetime, rid: str) -> None:
        live = self._live[rid]
        s = live.driven.case.snap
        msg = SubmitMaterialsUpdate(by=live.arrival.received_by, items=list(s.missing_materials))
        if live.driven.send(Update.SUBMIT_MATERIALS, msg, now):
            self._work(now, live)

    def _work(self, now: datetime, live: _Live) -> None:
        """The clock runs (R4.1): a field job for a technician, or the desk's answer."""
        case = live.driven.case
        if case.final or case.snap.clock.started_at is None:
            self._settle(live)
            return
        a, desk = live.arrival, self.w.desk
        if a.kind in FIELD_KINDS:
            self._enqueue(now, live)
        elif a.kind == Kind.COMPLAINT:
            rng = draws(self.seed, a, f"desk{live.rounds}")
            ack = now + _sample(rng, desk.acknowledge_hours, timedelta(hours=1))
            if case.snap.acknowledged_at is None:
                self._at(ack, self._acknowledge, a.request_id)
            answer = ack + _sample(rng, desk.complaint_answer_hours, timedelta(hours=1))
            self._at(answer, self._desk_resolve, a.request_id)
        else:
            rng = draws(self.seed, a, f"desk{live.rounds}")
            self._at(
                now + _sample(rng, desk.consultation_hours, timedelta(hours=1)),
                self._desk_resolve,
                a.request_id,
            )

    def _acknowledge(self, now: datetime, rid: str) -> None:
        live = self._live[rid]
        live.driven.send(
            Update.ACKNOWLEDGE, AcknowledgeUpdate(by=live.driven.case.snap.owner_id), now
        )

    def _desk_resolve(self, now: datetime, rid: str) -> None:
        live = self._live[rid]
        owner = live.driven.case.snap.owner_id
        msg = self._message(ResolveUpdate, by=owner, resolution="answered by the service desk")
        self._resolved(now, live, live.driven.send(Update.RESOLVE, msg, now))

    def _resolved(self, now: datetime, live: _Live, sent: bool) -> None:
        case = live.driven.case
        if sent and case.snap.state == CaseState.AWAITING_CALLBACK:
            live.callbacks_owed += 1
            live.round_calls = 0
            rng = draws(self.seed, live.arrival, f"callback{live.rounds}")
            delay = _sample(rng, self.w.callbacks.delay_hours, timedelta(hours=1))
            self._at(now + delay, self._callback, live.arrival.request_id)
        self._settle(live)

    def _callback(self, now: datetime, rid: str) -> None:
        """R5.1 / R5.3: the call, recorded whatever its result; R5.2 a problem reopens."""
        live = self._live[rid]
        live.callbacks += 1
        live.round_calls += 1
        cb = self.w.callbacks
        rng = draws(self.seed, live.arrival, f"call{live.callbacks}")
        reached = rng.random() < cb.reach
        satisfied = (rng.random() < cb.satisfied) if reached else None
        problem = reached and rng.random() < cb.problem_found
        agent = self._agent(live)
        msg = self._message(
            RecordCallbackUpdate,
            agent_id=agent,
            reached=reached,
            satisfied=satisfied,
            problem_found=problem,
        )
        sent = live.driven.send(Update.RECORD_CALLBACK, msg, now)
        case = live.driven.case
        if sent and problem and case.active:
            live.rounds += 1
            self._work(now, live)
            return
        if sent and not reached and live.round_calls < cb.attempts:
            self._at(now + timedelta(hours=cb.retry_hours), self._callback, rid)
        self._settle(live)

    def _agent(self, live: _Live) -> str:
        ctx = live.driven.case.ctx  # one per area and key-account flag (Intake.context)
        known = self._agents.get(id(ctx))
        if known is None or known[0] is not ctx:
            roster = ctx.roster
            agents = sorted(s for s, roles in roster.items() if Role.CALLBACK.value in roles)
            known = self._agents[id(ctx)] = (ctx, agents[0] if agents else None)
        return known[1] if known[1] is not None else live.driven.case.snap.owner_id

    # --- technicians ----------------------------------------------------------------------
    def _enqueue(self, now: datetime, live: _Live) -> None:
        area = self._areas[live.arrival.area_id]
        due = live.driven.case.snap.clock.due_at or now
        heapq.heappush(area.queue, (due, live.arrival.seq, live.arrival.request_id))
        self._dispatch(now, live.arrival.area_id)

    def _on_shift(self, now: datetime) -> bool:
        t = self.w.technicians
        return t.shift_start_hour <= now.astimezone(self.intake.calendar.tz).hour < t.shift_end_hour

    def _next_shift(self, now: datetime) -> datetime:
        local = now.astimezone(self.intake.calendar.tz)
        start = local.replace(hour=self.w.technicians.shift_start_hour, minute=0, second=0)
        return start if start > local else start + timedelta(days=1)

    def _dispatch(self, now: datetime, area_id: str) -> None:
        area = self._areas[area_id]
        if not area.queue or area.free <= 0:
            return
        if not self._on_shift(now):
            wake = self._next_shift(now)
            if area.wake_at != wake:
                area.wake_at = wake
                self._at(wake, self._dispatch, area_id)
            return
        while area.queue and area.free > 0:
            _, _, rid = heapq.heappop(area.queue)
            live = self._live.get(rid)
            if live is None or not live.driven.case.active:
                continue
            area.free -= 1
            done = self._job(now, live)
            self._count_busy(area, now, done)
            self._at(done, self._free, area_id)

    def _free(self, now: datetime, area_id: str) -> None:
        self._areas[area_id].free += 1
        self._dispatch(now, area_id)

    def _count_busy(self, area: _Area, start: datetime, end: datetime) -> None:
        assert self._window is not None
        lo, hi = max(start, self._window.start), min(end, self._window.end)
        if hi > lo:
            area.busy_seconds += (hi - lo).total_seconds()

    def _job(self, now: datetime, live: _Live) -> datetime:
        """One visit; returns when the technician is free again."""
        live.visits += 1
        a, d = live.arrival, live.driven
        work = self.w.field[a.kind]
        rng = draws(self.seed, a, f"visit{live.visits}")
        tech = d.case.snap.technician_id or ""
        d.send(
            Update.SCHEDULE_VISIT,
            ScheduleVisitUpdate(technician_id=tech, window_start=now, window_end=now + APPOINTMENT),
            now,
        )
        d.send(Update.REPORT_PROGRESS, self._progress(tech, ProgressStatus.EN_ROUTE), now)
        there = now + _sample(rng, work.travel_minutes, timedelta(minutes=1))
        d.send(Update.REPORT_PROGRESS, self._progress(tech, ProgressStatus.ON_SITE), there)
        if rng.random() < work.not_home:
            left = there + ON_SITE_REPORT
            msg = ReportUnreachableUpdate(
                technician_id=tech,
                reason=UnreachableReason.NOT_HOME,
                report="customer not at home at the appointment; notice left at the door",
            )
            d.send(Update.REPORT_UNREACHABLE, msg, left)  # R4.5 with the written report
            self._settle(live)
            return left
        if live.visits == 1 and rng.random() < work.missing_parts:
            left = there + ON_SITE_REPORT
            d.send(Update.REPORT_PROGRESS, self._progress(tech, ProgressStatus.WAITING_PARTS), left)
            back = left + _sample(rng, work.parts_hours, timedelta(hours=1))
            self._at(back, self._requeue, a.request_id)
            return left
        fixed = there + _sample(rng, work.repair_minutes, timedelta(minutes=1))
        done = self._message(ResolveUpdate, by=tech, resolution=f"{a.kind.value} done")
        sent = d.send(Update.RESOLVE, done, fixed)
        self._resolved(fixed, live, sent)
        return fixed

    def _requeue(self, now: datetime, rid: str) -> None:
        live = self._live.get(rid)
        if live is not None and live.driven.case.active:
            self._enqueue(now, live)

    def _progress(self, tech: str, status: ProgressStatus) -> ReportProgressUpdate:
        return self._message(ReportProgressUpdate, technician_id=tech, status=status)

    def _message(self, cls: type[M], **fields: Any) -> M:
        """`cls(**fields)`, validated the first time and the same value afterwards."""
        key = (cls, *fields.items())
        msg = self._messages.get(key)
        if msg is None:
            msg = self._messages[key] = cls(**fields)
        return cast(M, msg)

    # --- the end of a case ----------------------------------------------------------------
    def _settle(self, live: _Live) -> None:
        if live.driven.case.final:
            self._finish(live.arrival.request_id)

    def _finish(self, rid: str) -> None:
        live = self._live.pop(rid)
        self._outcomes.append(outcome_of(live.arrival, live.driven, live.callbacks_owed))
