"""The baseline of `make bench`: a bare workflow with a complete fault case's messaging shape.

It receives the same updates and runs the same local activities at the same points as a
complete fault case (intake -> assigned -> on_site -> resolve -> callback -> closed), and races
the same durable timers, but does no work: no database, no policy, no search attributes, no
notifications. The shape was read from a recorded fault-case history
(tests/histories/service_request_fault_closed.json):

    intake:          4 local activities (prepare_case, compute_deadline, notifications, sync)
                     then one 24 h timer
    update 1:        1 local activity  (sync)
    update 2:        2 local activities (notifications, sync); the timer is replaced (72 h)
    update 3:        1 local activity  (sync); then the workflow completes

The product runs its database writes as *local* activities, so the baseline does too (sync
functions in a thread pool, like the product's SQLModel activities).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from pydantic import BaseModel, Field
from temporalio import activity, workflow

BASELINE_WORKFLOW = "BenchBareCase"
BASELINE_TASK_QUEUE = "bench-baseline"
UPDATE_STEP = "step"
QUERY_READY = "ready"


class BareShape(BaseModel):
    intake_activities: int = 4
    after_update: list[int] = Field(default_factory=lambda: [1, 2, 1])
    replace_timer_after_update: int = 2  # the product swaps the deadline for the callback timer


@activity.defn(name="bench_noop")
def noop(step: int) -> int:
    return step


@workflow.defn(name=BASELINE_WORKFLOW)
class BareCase:
    def __init__(self) -> None:
        self._received = 0
        self._ready = False

    @workflow.run
    async def run(self, shape: BareShape) -> int:
        shape = BareShape.model_validate(shape)
        for i in range(shape.intake_activities):
            await self._noop(i)
        timer = asyncio.create_task(workflow.sleep(timedelta(hours=24)))
        self._ready = True
        for n, activities in enumerate(shape.after_update, start=1):
            await workflow.wait_condition(lambda n=n, t=timer: self._received >= n or t.done())
            for i in range(activities):
                await self._noop(i)
            if n == shape.replace_timer_after_update:
                timer.cancel()
                timer = asyncio.create_task(workflow.sleep(timedelta(hours=72)))
        # Like the product, the last timer is left to lapse with the run: no cancel event.
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._received

    async def _noop(self, step: int) -> None:
        await workflow.execute_local_activity(
            noop, step, start_to_close_timeout=timedelta(seconds=30)
        )

    @workflow.update(name=UPDATE_STEP)
    def step(self, n: int) -> int:
        self._received += 1
        return self._received

    @workflow.query(name=QUERY_READY)
    def ready(self) -> bool:
        return self._ready
