"""One simulated month, start to end: workload + policy + seed -> `MonthReport`."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cablecare import REPO_ROOT
from cablecare.simulate.fast import FastEngine, MonthResult
from cablecare.simulate.generate import (
    Arrival,
    Directory,
    Window,
    generate,
    load_directory,
    month_window,
)
from cablecare.simulate.intake import Intake
from cablecare.simulate.report import MonthReport, build_report
from cablecare.simulate.workload import Workload, load_workload

DEFAULT_POLICY = REPO_ROOT / "policy" / "sla-policy.toml"


@dataclass
class Scenario:
    """What a month needs besides its seed: the workload, the policy, the directory."""

    workload: Workload
    policy_path: Path
    directory: Directory

    @classmethod
    def load(
        cls,
        workload: Path | None = None,
        policy: Path | None = None,
        directory: Path | None = None,
    ) -> Scenario:
        return cls(load_workload(workload), policy or DEFAULT_POLICY, load_directory(directory))


def month_arrivals(
    scenario: Scenario, intake: Intake, month: str, seed: int, *, id_prefix: str = "SIM"
) -> tuple[Window, list[Arrival]]:
    window = month_window(month, scenario.workload.timezone)
    arrivals = generate(
        scenario.workload, scenario.directory, intake.calendar, window, seed, id_prefix=id_prefix
    )
    return window, arrivals


def simulate_fast(
    scenario: Scenario,
    month: str,
    seed: int,
    *,
    record: bool = False,
    progress: Callable[[float], None] | None = None,
    id_prefix: str = "SIM",
    workers: int = 1,
) -> tuple[MonthReport, MonthResult, list[Arrival]]:
    """One month on the fast engine. `workers` > 1 runs groups of areas in forked processes:
    areas share no technician, so the result is the same as in one process, byte for byte."""
    intake = Intake(scenario.directory, scenario.policy_path)
    try:
        window, arrivals = month_arrivals(scenario, intake, month, seed, id_prefix=id_prefix)
        if workers > 1 and len(scenario.directory.areas) > 1:
            result = _in_processes(
                scenario, intake, arrivals, window, seed, record, workers, progress
            )
        else:
            engine = FastEngine(
                scenario.workload,
                scenario.directory,
                intake,
                seed,
                record=record,
                progress=progress,
            )
            result = engine.run(arrivals, window)
        report = build_report(
            result,
            workload=scenario.workload,
            policy=intake.policy,
            directory=scenario.directory,
            window=window,
            seed=seed,
            engine="fast",
        )
        return report, result, arrivals
    finally:
        intake.close()


# What forked workers inherit (copy-on-write) instead of receiving it pickled.
_JOB: dict[str, Any] = {}


def _run_group(index: int) -> MonthResult:
    job = _JOB
    group: set[str] = job["groups"][index]
    scenario: Scenario = job["scenario"]
    directory = replace(
        scenario.directory, areas={k: v for k, v in scenario.directory.areas.items() if k in group}
    )
    shares = job["shares"]

    def progress(done: float) -> None:
        shares[index] = done

    engine = FastEngine(
        scenario.workload, directory, job["intake"], job["seed"], record=job["record"],
        progress=progress,
    )  # fmt: skip
    return engine.run([a for a in job["arrivals"] if a.area_id in group], job["window"])


def _in_processes(
    scenario: Scenario,
    intake: Intake,
    arrivals: list[Arrival],
    window: Window,
    seed: int,
    record: bool,
    workers: int,
    progress: Callable[[float], None] | None,
) -> MonthResult:
    for a in arrivals:  # every context read here, before the fork: children never open the DB
        intake.context(a)
    counts: dict[str, int] = dict.fromkeys(scenario.directory.areas, 0)
    for a in arrivals:
        counts[a.area_id] += 1
    groups: list[set[str]] = [set() for _ in range(min(workers, len(counts)))]
    load = [0] * len(groups)
    for area in sorted(counts, key=lambda k: (-counts[k], k)):  # largest first, to the lightest
        i = load.index(min(load))
        groups[i].add(area)
        load[i] += counts[area]
    ctx = multiprocessing.get_context("fork")
    shares = ctx.Array("d", len(groups), lock=False)
    _JOB.update(
        groups=groups, scenario=scenario, intake=intake, seed=seed, record=record,
        arrivals=arrivals, window=window, shares=shares,
    )  # fmt: skip
    try:
        with ProcessPoolExecutor(len(groups), mp_context=ctx) as pool:
            futures = [pool.submit(_run_group, i) for i in range(len(groups))]
            while not all(f.done() for f in futures):
                wait(futures, timeout=0.5)
                if progress:
                    progress(min(shares))
            parts = [f.result() for f in futures]
    finally:
        _JOB.clear()
    merged = MonthResult(outcomes=[], technicians={}, busy_hours={}, shift_hours={})
    for part in parts:
        merged.outcomes.extend(part.outcomes)
        merged.technicians.update(part.technicians)
        merged.busy_hours.update(part.busy_hours)
        merged.shift_hours.update(part.shift_hours)
        merged.steps.update(part.steps)
    merged.outcomes.sort(key=lambda o: o.request_id)
    return merged
