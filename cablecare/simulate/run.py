"""One simulated month, start to end: workload + policy + seed -> `MonthReport`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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
) -> tuple[MonthReport, MonthResult, list[Arrival]]:
    intake = Intake(scenario.directory, scenario.policy_path)
    try:
        window, arrivals = month_arrivals(scenario, intake, month, seed, id_prefix=id_prefix)
        engine = FastEngine(
            scenario.workload, scenario.directory, intake, seed, record=record, progress=progress
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
