"""`make bench-simulate` (issue 14): simulated requests per second on each engine, and the
wall time of a 100,000-request month on the fast engine.

- fast: the default workload scaled to about 100,000 requests in 2026-11 (scale 51: arrivals
  and technicians x51), in one process and in `--workers` forked processes (groups of areas);
- real: a small month (about `--real-requests` requests) through real ServiceRequest
  workflows on the embedded server with per-workflow time skipping, a worker and SQLite.

Writes bench/results/simulate-latest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

from cablecare import REPO_ROOT
from cablecare.simulate.real import simulate_real
from cablecare.simulate.run import Scenario, simulate_fast
from cablecare.simulate.workload import Workload

RESULTS = REPO_ROOT / "bench" / "results" / "simulate-latest.json"


def _with(workload: Workload, **arrivals: Any) -> Workload:
    data = workload.model_dump()
    data.update({k: v for k, v in arrivals.items() if k == "scale"})
    data["arrivals"].update({k: v for k, v in arrivals.items() if k != "scale"})
    return Workload.model_validate(data)


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def fast(scale: float, workers: int) -> dict[str, Any]:
    scenario = Scenario.load()
    scenario.workload = _with(scenario.workload, scale=scale)
    start, cpu = time.perf_counter(), _cpu()
    report, _, _ = simulate_fast(scenario, "2026-11", 1, workers=workers)
    wall, cpu = time.perf_counter() - start, _cpu() - cpu
    n = report.meta["requests"]
    return {
        "engine": "fast",
        "workers": workers,
        "requests": n,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),  # this process and its finished children
        "requests_per_cpu_s": round(n / cpu, 1),
        "requests_per_s": round(n / wall, 1),
        "breach_rate": report.figure().row()["breach_rate"],
    }


def real(per_1000: float, concurrency: int) -> dict[str, Any]:
    scenario = Scenario.load()
    scenario.workload = _with(scenario.workload, per_1000_households_per_day=per_1000)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'sim.db'}"
        start = time.perf_counter()
        report = asyncio.run(
            simulate_real(scenario, "2026-11", 1, database_url=url, concurrency=concurrency)
        )
        wall = time.perf_counter() - start
    n = report.meta["requests"]
    return {
        "engine": "real",
        "concurrency": concurrency,
        "requests": n,
        "wall_s": round(wall, 2),
        "requests_per_s": round(n / wall, 2),
        "breach_rate": report.figure().row()["breach_rate"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=51.0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--real-per-1000", type=float, default=0.11)
    parser.add_argument("--real-concurrency", type=int, default=8)
    parser.add_argument("--skip-serial", action="store_true")
    parser.add_argument("--only", choices=["fast", "real"], default=None)
    args = parser.parse_args()
    runs = []
    if args.only != "real":
        if not args.skip_serial:
            runs.append(fast(args.scale, 1))
        if args.workers > 1:
            runs.append(fast(args.scale, args.workers))
    if args.only != "fast":
        runs.append(real(args.real_per_1000, args.real_concurrency))
    result = {
        "at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()} {os.cpu_count()} cores",
        # The machine is shared: the load says how much of it this run had.
        "load_average_at_end": os.getloadavg(),
        "runs": runs,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    path = RESULTS.with_name(f"simulate-{args.only}-latest.json") if args.only else RESULTS
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for run in runs:
        print(json.dumps(run))  # noqa: T201 - a benchmark prints its results


if __name__ == "__main__":
    main()
