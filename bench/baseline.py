"""The baseline of `make bench`: a bare workflow with a complete fault case's messaging shape.

The shape is not written down here: `make bench` runs one complete fault case on the product
worker first, reads its history and derives the shape from it (`shape_from_history`), so a
change to the product (an activity more or less, a local activity turned regular) changes the
baseline in the same run. From the history it takes, in order, per segment (intake, then after
each accepted update):

    regular activities   ActivityTaskScheduled  -> a no-op regular activity
    local activities     MarkerRecorded (core_local_activity) -> a no-op local activity
    timers               TimerStarted / TimerCanceled -> the same timer started / cancelled

The bare workflow receives the same updates and runs those steps at the same points, but does
no work: no database, no policy, no search attributes, no notifications. Its history events
and workflow tasks per case are printed next to the product's, so the shapes can be compared.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, Field
from temporalio import activity, workflow
from temporalio.api.enums.v1 import EventType

BASELINE_WORKFLOW = "BenchBareCase"
BASELINE_TASK_QUEUE = "bench-baseline"
UPDATE_STEP = "step"
QUERY_READY = "ready"
LOCAL_ACTIVITY_MARKER = "core_local_activity"

# One step of a segment: "local", "activity", "timer:<seconds>" or "cancel".
Step = str


class BareShape(BaseModel):
    intake: list[Step] = Field(default_factory=list)
    after_update: list[list[Step]] = Field(default_factory=list)

    def counts(self) -> dict[str, int]:
        steps = [s for seg in [self.intake, *self.after_update] for s in seg]
        return {
            "updates": len(self.after_update),
            "activities": steps.count("activity"),
            "local_activities": steps.count("local"),
            "timers": sum(1 for s in steps if s.startswith("timer:")),
            "timer_cancels": steps.count("cancel"),
        }


def shape_from_history(events: Iterable[Any]) -> BareShape:
    """The messaging shape of one recorded case (temporalio.api.history.v1.HistoryEvent)."""
    segments: list[list[Step]] = [[]]
    for e in events:
        t = e.event_type
        if t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            segments.append([])
        elif t == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            segments[-1].append("activity")
        elif (
            t == EventType.EVENT_TYPE_MARKER_RECORDED
            and e.marker_recorded_event_attributes.marker_name == LOCAL_ACTIVITY_MARKER
        ):
            segments[-1].append("local")
        elif t == EventType.EVENT_TYPE_TIMER_STARTED:
            timeout = e.timer_started_event_attributes.start_to_fire_timeout
            segments[-1].append(f"timer:{timeout.seconds}")
        elif t == EventType.EVENT_TYPE_TIMER_CANCELED:
            segments[-1].append("cancel")
    return BareShape(intake=segments[0], after_update=segments[1:])


def workflow_tasks(events: Iterable[Any]) -> int:
    return sum(1 for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)


@activity.defn(name="bench_noop")
def noop(step: int) -> int:
    return step


@workflow.defn(name=BASELINE_WORKFLOW)
class BareCase:
    def __init__(self) -> None:
        self._received = 0
        self._ready = False
        self._timer: asyncio.Task[None] | None = None

    @workflow.run
    async def run(self, shape: BareShape) -> int:
        shape = BareShape.model_validate(shape)
        await self._perform(shape.intake)
        self._ready = True
        for n, steps in enumerate(shape.after_update, start=1):
            await workflow.wait_condition(lambda n=n: self._received >= n)
            await self._perform(steps)
        # Like the product, the last timer is left to lapse with the run: no cancel event.
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._received

    async def _perform(self, steps: list[Step]) -> None:
        for i, step in enumerate(steps):
            if step == "local":
                await workflow.execute_local_activity(
                    noop, i, start_to_close_timeout=timedelta(seconds=30)
                )
            elif step == "activity":
                await workflow.execute_activity(
                    noop, i, start_to_close_timeout=timedelta(seconds=30)
                )
            elif step == "cancel":
                if self._timer is not None:
                    self._timer.cancel()
                    await asyncio.sleep(0)  # let the cancel become a command
            elif step.startswith("timer:"):
                seconds = int(step.split(":", 1)[1])
                self._timer = asyncio.create_task(workflow.sleep(timedelta(seconds=seconds)))

    @workflow.update(name=UPDATE_STEP)
    def step(self, n: int) -> int:
        self._received += 1
        return self._received

    @workflow.query(name=QUERY_READY)
    def ready(self) -> bool:
        return self._ready
