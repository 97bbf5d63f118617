"""Issue 14: the fast engine and real `ServiceRequest` workflows agree, case by case.

A small seeded month (about thirty requests) is simulated by the fast engine; every act of
staff it decided is then sent to a real workflow on the real server with per-workflow time
skipping (real deadlines: 24 h, 72 h, working days, 72 h callbacks), real activities and
database. Breaches (R4.7), escalations (R7.3, R9.2, R5.1, R9.7, R2.7, R4.5) and accountability
cases (R6.1) must be the same.
"""

from __future__ import annotations

import uuid
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from temporalio.testing import WorkflowEnvironment

from cablecare.domain import Kind
from cablecare.settings import Settings
from cablecare.simulate.driver import replay
from cablecare.simulate.fast import RUN_OUT
from cablecare.simulate.fit import fit_workload
from cablecare.simulate.intake import Intake
from cablecare.simulate.real import real_outcome, relative, run_month
from cablecare.simulate.run import Scenario, simulate_fast
from cablecare.simulate.workload import Workload, load_workload

pytestmark = pytest.mark.usefixtures("worker")

# Hour limits (R4.3 faults, 24 h consultations, R9.2 4 h, R5.1 72 h) do not depend on the date;
# working-day limits (R4.4) do, and a real workflow's clock starts at the server's present.
HOUR_LIMITED = {"fault", "consultation"}
SLACK = 90.0  # seconds: a real update lands a little after its offset (wall time passes)


def small_month() -> Workload:
    """About thirty requests in November, with enough trouble to breach: half the field jobs
    need a second visit for parts, a tenth of customers are not home, a third of callbacks
    do not reach the customer."""
    w = load_workload()
    data = w.model_dump()
    data["arrivals"]["per_1000_households_per_day"] = 0.018
    for kind in data["field"].values():
        kind["missing_parts"] = 0.5
        kind["not_home"] = 0.1
    data["callbacks"]["reach"] = 0.65
    data["severity"]["fault"] = 0.3
    data["desk"]["acknowledge_hours"] = {"median": 3.0, "sigma": 1.0}
    return Workload.model_validate(data)


def _close(a: list[tuple[str, str, float]], b: list[tuple[str, str, float]]) -> bool:
    return len(a) == len(b) and all(
        x[0] == y[0] and x[1] == y[1] and abs(x[2] - y[2]) <= SLACK
        for x, y in zip(a, b, strict=True)
    )


async def test_issue14_fast_engine_reproduces_real_breaches_escalations_and_accountability(
    env: WorkflowEnvironment, worker_settings: Settings
) -> None:
    scenario = Scenario.load()
    scenario.workload = small_month()
    prefix = f"SIMT{uuid.uuid4().hex[:6]}"
    report, result, arrivals = simulate_fast(scenario, "2026-11", 5, record=True, id_prefix=prefix)
    assert 20 <= len(arrivals) <= 45, len(arrivals)
    fast = {o.request_id: o for o in result.outcomes}
    # The sample is worth comparing: breaches, accountability and several kinds of escalation.
    assert sum(o.breaches for o in fast.values()) >= 2
    assert sum(o.accountability for o in fast.values()) >= 2
    assert len({e[0] for o in fast.values() for e in o.escalations}) >= 4
    assert all(o.refusals == 0 for o in fast.values())

    run_out = arrivals[-1].at + RUN_OUT
    real = await run_month(env, env.client, result.steps, run_out, concurrency=6)
    intake = Intake(scenario.directory, scenario.policy_path)
    try:
        mismatches = []
        for a in arrivals:
            data, planned, steps = result.steps[a.request_id]
            rc = real[a.request_id]
            assert rc.refused == 0, a.request_id
            got = real_outcome(a, rc, steps, intake.policy)
            # Exactly the same case logic at the real case's own start (every kind).
            again = replay(
                data,
                intake.context(a),
                intake.calendar,
                steps,
                planned_at=planned,
                start=rc.started,
                until=run_out,
            ).case.snap
            same_start = [
                (e.kind.value, e.rule, (e.at - rc.started).total_seconds())
                for e in again.escalations
            ]
            if not _close(relative(got, rc.started), same_start):
                mismatches.append((a.request_id, "replay", relative(got, rc.started), same_start))
            # The fast month itself, for limits that do not depend on the date.
            want = fast[a.request_id]
            if a.kind.value in HOUR_LIMITED:
                if not _close(relative(got, rc.started), relative(want, planned)):
                    mismatches.append(
                        (a.request_id, "month", relative(got, rc.started), relative(want, planned))
                    )
                assert (got.breaches, got.accountability, got.state) == (
                    want.breaches,
                    want.accountability,
                    want.state,
                ), a.request_id
        assert not mismatches, mismatches
    finally:
        intake.close()
    hour_limited = [a for a in arrivals if a.kind.value in HOUR_LIMITED]
    assert len(hour_limited) >= len(arrivals) // 2

    # Item 5: `fit` reads the month back from the real records the workflows wrote.
    tz = ZoneInfo(scenario.workload.timezone)  # months are the operator's local months
    first = min(rc.started for rc in real.values()).astimezone(tz)
    last = max(rc.started for rc in real.values()).astimezone(tz)
    months = f"{first:%Y-%m}..{last:%Y-%m}"
    fitted, which = fit_workload(
        scenario.workload, worker_settings.database_url, months, request_prefix=prefix
    )
    kinds = Counter(a.kind for a in arrivals)
    assert fitted.mix == {k: round(kinds[k] / len(arrivals), 6) for k in Kind}
    calls = [c for rc in real.values() for c in rc.snapshot.callbacks]
    assert fitted.callbacks.reach == round(sum(c.reached for c in calls) / len(calls), 6)
    assert "callbacks.reach/satisfied/problem_found" in which and "mix" in which
