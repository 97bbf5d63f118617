"""What-if: the same months under two (or more) policies or workloads, over several seeds.

Each seed is one month of the same customers (common random numbers) under each variant, so
the paired difference per seed measures the change and not the luck of the draw. Means come
with 95% confidence intervals (Student's t over the seeds).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from typing import Any

from cablecare.simulate.report import ALL, MonthReport
from cablecare.simulate.run import Scenario, simulate_fast

# Two-sided 97.5% quantiles of Student's t, by degrees of freedom (1..30); beyond: 1.96.
_T975 = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
]  # fmt: skip

# (name, unit, higher is worse, value of one month for an area or ALL)
Metric = tuple[str, str, bool, Callable[[MonthReport, str], float | None]]


def _fig(key: str) -> Callable[[MonthReport, str], float | None]:
    return lambda r, area: r.figure(area).row()[key]


def _utilisation(r: MonthReport, area: str) -> float | None:
    rows = r.staffing if area == ALL else [s for s in r.staffing if s["area_id"] == area]
    busy, shift = sum(s["busy_hours"] for s in rows), sum(s["shift_hours"] for s in rows)
    return busy / shift if shift else None


METRICS: list[Metric] = [
    ("breach rate", "share", True, _fig("breach_rate")),
    ("breaches", "count", True, _fig("breaches")),
    ("escalations", "count", True, _fig("escalations")),
    ("accountability cases", "count", True, _fig("accountability_opened")),
    ("24 h response", "share", False, _fig("response_rate_24h")),
    ("callbacks on time", "share", False, _fig("callbacks_on_time_rate")),
    ("technician utilisation", "load", True, _utilisation),  # may pass 100%: overtime
]


def interval(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"mean": None, "low": None, "high": None}
    mean = statistics.fmean(values)
    if len(values) < 2:
        return {"mean": mean, "low": None, "high": None}
    t = _T975[len(values) - 2] if len(values) - 1 <= len(_T975) else 1.96
    half = t * statistics.stdev(values) / math.sqrt(len(values))
    return {"mean": round(mean, 6), "low": round(mean - half, 6), "high": round(mean + half, 6)}


def _clip(v: dict[str, float | None]) -> dict[str, float | None]:
    low, high = v["low"], v["high"]
    return {
        "mean": v["mean"],
        "low": None if low is None else max(low, 0.0),
        "high": None if high is None else min(high, 1.0),
    }


def _breach_rate(r: MonthReport, area: str, kind: str) -> float | None:
    """The breach rate of one area and kind in one month (None: no such request)."""
    for f in r.figures:
        if f.area_id == area and f.kind == kind:
            rate: float | None = f.row()["breach_rate"]
            return rate
    return None


def compare(
    variants: list[tuple[str, Scenario]],
    month: str,
    seeds: list[int],
    *,
    progress: Callable[[float], None] | None = None,
) -> dict[str, Any]:
    reports: list[list[MonthReport]] = []
    total = len(variants) * len(seeds)
    for i, (_, scenario) in enumerate(variants):
        runs = []
        for j, seed in enumerate(seeds):
            report, _, _ = simulate_fast(scenario, month, seed)
            runs.append(report)
            if progress:
                progress((i * len(seeds) + j + 1) / total)
        reports.append(runs)
    areas = sorted({s["area_id"] for s in reports[0][0].staffing})
    metrics = []
    for name, unit, worse, value in METRICS:
        for area in [ALL, *areas]:
            per_variant = [[value(r, area) for r in runs] for runs in reports]
            values = [interval([v for v in vs if v is not None]) for vs in per_variant]
            if unit == "share":  # a rate's interval stays within 0..100%
                values = [_clip(v) for v in values]
            paired = [
                b - a
                for a, b in zip(per_variant[0], per_variant[-1], strict=True)
                if a is not None and b is not None
            ]
            metrics.append(
                {
                    "name": name,
                    "unit": unit,
                    "higher_is_worse": worse,
                    "area_id": area,
                    "values": values,
                    "difference": interval(paired),
                }
            )
    kinds = sorted({f.kind for runs in reports for r in runs for f in r.figures if f.kind != ALL})
    breach_by_kind = []
    for area in [ALL, *areas]:
        for kind in kinds:
            per_variant = [[_breach_rate(r, area, kind) for r in runs] for runs in reports]
            if all(v is None for vs in per_variant for v in vs):
                continue  # no request of this kind in this area in any month
            paired = [
                b - a
                for a, b in zip(per_variant[0], per_variant[-1], strict=True)
                if a is not None and b is not None
            ]
            breach_by_kind.append(
                {
                    "area_id": area,
                    "kind": kind,
                    "values": [
                        _clip(interval([v for v in vs if v is not None])) for vs in per_variant
                    ],
                    "difference": interval(paired),
                }
            )
    breach_by_area = [
        [(area, interval([r.figure(area).row()["breach_rate"] or 0.0 for r in runs])["mean"])
         for area in areas]
        for runs in reports
    ]  # fmt: skip
    return {
        "month": month,
        "seeds": seeds,
        "labels": [label for label, _ in variants],
        "versions": [
            {"policy": runs[0].meta["policy_version"], "workload": runs[0].meta["workload_version"]}
            for runs in reports
        ],
        "requests": [[r.meta["requests"] for r in runs] for runs in reports],
        "metrics": metrics,
        "breach_by_area": breach_by_area,
        # R4.7 per area and kind: where a policy's change lands (a fault limit moves faults).
        "breach_by_kind": breach_by_kind,
        "settings": {area: info.setting for area, info in variants[0][1].directory.areas.items()},
    }
