"""The real engine: the same month through real `ServiceRequest` workflows.

The fast engine decides when staff act (its technicians, queues and desk); every act it sent
to a case is a `Step`. Here each request becomes a real workflow on a Temporal server with
per-workflow time skipping: the workflow is started, its own clock is moved forward to each
step's offset from its arrival (`env.fast_forward`), the step is sent as the real update, and
at the end the clock runs out the case's remaining timers. Intake, deadlines (the
`compute_deadline` activity on the national calendar), timers, escalations, accountability
cases and records are the real ones, in the real database.

Time skipping is per workflow and starts at the server's present, so a real case runs its
steps at the same offsets from *its own* arrival; the calendar of working-day limits is the
calendar of that present (see `compare_cases`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from cablecare.policy import SlaPolicy
from cablecare.simulate.driver import Step
from cablecare.simulate.generate import Arrival
from cablecare.simulate.outcome import CaseOutcome, outcome_from_snapshot
from starter.service_request import start_service_request
from workflows.service_request.messages import ServiceRequestInput, Update
from workflows.service_request.state import ServiceRequestSnapshot
from workflows.service_request.workflow import ServiceRequest


@dataclass(frozen=True)
class RealCase:
    request_id: str
    started: datetime  # the workflow's own received_at
    snapshot: ServiceRequestSnapshot
    refused: int  # updates the real workflow refused


async def _status(handle: WorkflowHandle[Any, Any]) -> ServiceRequestSnapshot:
    deadline = asyncio.get_running_loop().time() + 60
    while True:
        try:
            return await handle.query(ServiceRequest.status)
        except Exception as err:  # the first query may race intake
            if "being registered" not in str(err) or asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.05)


async def _running(handle: WorkflowHandle[Any, Any]) -> bool:
    return (await handle.describe()).status == WorkflowExecutionStatus.RUNNING


async def run_case(
    env: WorkflowEnvironment,
    client: Client,
    data: ServiceRequestInput,
    planned_at: datetime,
    steps: list[Step],
    run_out: datetime,
) -> RealCase:
    """One request: start, then each step at its offset from the arrival, then run out."""
    handle = await start_service_request(client, data)
    snap = await _status(handle)
    delta = snap.received_at - planned_at  # this workflow's clock began at the present
    moved = timedelta(0)
    refused = 0
    for step in steps:
        offset = step.at - planned_at
        step = step.shifted(delta)
        if offset > moved:
            await env.fast_forward(handle, offset - moved)
            moved = offset
            # A query is answered after the workflow task that handles the fired timers; sent
            # before that, the update could share that task, and the SDK runs updates before
            # timers: a resolve would then beat a breach that was due before it.
            await _status(handle)
        try:
            await handle.execute_update(
                step.update.value, step.message, result_type=ServiceRequestSnapshot
            )
        except Exception:  # a refusal: the fast engine sent only accepted steps
            refused += 1
    rest = run_out - planned_at - moved
    if rest > timedelta(0) and await _running(handle):
        try:
            await env.fast_forward(handle, rest)
        except RPCError as err:
            # The workflow ended between the check and the fast-forward (its last flush after
            # the last update): there is nothing left to run out.
            if err.status != RPCStatusCode.NOT_FOUND or await _running(handle):
                raise
    if await _running(handle):
        snap = await _status(handle)
    else:
        snap = ServiceRequestSnapshot.model_validate(await handle.result())
    return RealCase(data.request_id, snap.received_at, snap, refused)


async def run_month(
    env: WorkflowEnvironment,
    client: Client,
    scripts: dict[str, tuple[ServiceRequestInput, datetime, list[Step]]],
    run_out: datetime,
    *,
    concurrency: int = 8,
    progress: Callable[[float], None] | None = None,
) -> dict[str, RealCase]:
    gate = asyncio.Semaphore(concurrency)
    done: dict[str, RealCase] = {}

    async def one(rid: str) -> None:
        data, planned, steps = scripts[rid]
        async with gate:
            done[rid] = await run_case(env, client, data, planned, steps, run_out)
        if progress:
            progress(len(done) / len(scripts))

    await asyncio.gather(*(one(rid) for rid in sorted(scripts)))
    return done


def real_outcome(
    arrival: Arrival, case: RealCase, steps: list[Step], policy: SlaPolicy
) -> CaseOutcome:
    """The month's figures from the real workflow's state."""
    s = case.snapshot
    started = next((e.at for e in s.timeline if e.type == "clock.started"), None)
    if started is None:
        started = s.clock.started_at if s.clock.round <= 1 else None
    resolves = sum(1 for st in steps if st.update == Update.RESOLVE)
    return outcome_from_snapshot(
        arrival,
        s,
        first_clock_start=started,
        accountability=sum(1 for e in s.escalations if e.accountability_case_id),
        callbacks_owed=resolves if policy.needs_callback(arrival.kind) else 0,
        refusals=case.refused,
    )


def relative(outcome: CaseOutcome, received: datetime) -> list[tuple[str, str, float]]:
    """Escalations as (kind, rule, seconds after arrival): comparable across engines."""
    return [(k, r, (at - received).total_seconds()) for k, r, at in outcome.escalations]


async def simulate_real(
    scenario: Any,
    month: str,
    seed: int,
    *,
    database_url: str,
    concurrency: int = 8,
    progress: Callable[[float], None] | None = None,
) -> Any:
    """The month on an embedded Temporal server with time skipping, a worker and a database.

    The database gets the directory and every case record: usable as first-run content.
    Returns the month's `MonthReport` computed from the real workflows' state.
    """
    from temporalio.contrib.pydantic import pydantic_data_converter
    from temporalio.testing import TimeSkippingConfig

    from activities.db import init_db
    from activities.directory_load import load_directory_file
    from cablecare.devserver import temporal_binary
    from cablecare.policy import load_policy
    from cablecare.search_attributes import ALL_KEYS
    from cablecare.settings import Settings
    from cablecare.simulate.fast import RUN_OUT, MonthResult
    from cablecare.simulate.generate import month_window
    from cablecare.simulate.report import build_report
    from cablecare.simulate.run import simulate_fast
    from worker.build import build_worker

    _, planned, arrivals = simulate_fast(scenario, month, seed, record=True, id_prefix=f"SIM{seed}")
    settings = Settings(database_url=database_url, policy_path=scenario.policy_path)
    init_db(database_url)
    load_directory_file(database_url, scenario.directory.path)
    async with await WorkflowEnvironment.start_time_skipping_v2(
        ts_config=TimeSkippingConfig(enabled=False),
        dev_server_existing_path=temporal_binary(),
        data_converter=pydantic_data_converter,
        search_attributes=list(ALL_KEYS),
        dev_server_extra_args=[
            "--dynamic-config-value",
            "frontend.WorkflowTimeSkippingEnabled=true",
            "--log-level",
            "error",
        ],
    ) as env:
        async with build_worker(env.client, settings, max_cached_workflows=4 * concurrency):
            run_out = month_window(month, scenario.workload.timezone).end + RUN_OUT
            cases = await run_month(
                env, env.client, planned.steps, run_out, concurrency=concurrency, progress=progress
            )
    policy = load_policy(scenario.policy_path)
    outcomes = [
        real_outcome(a, cases[a.request_id], planned.steps[a.request_id][2], policy)
        for a in arrivals
    ]
    result = MonthResult(
        outcomes=sorted(outcomes, key=lambda o: o.request_id),
        technicians=planned.technicians,
        busy_hours=planned.busy_hours,
        shift_hours=planned.shift_hours,
    )
    return build_report(
        result,
        workload=scenario.workload,
        policy=policy,
        directory=scenario.directory,
        window=month_window(month, scenario.workload.timezone),
        seed=seed,
        engine="real",
    )
