"""Markdown tables of a `make bench` result, for BENCHMARKS.md.

    .venv/bin/python -m bench.report [bench/results/latest.json]

Each cell is the median over the rounds with the spread (min-max) across them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bench.run import RESULTS


def _cell(s: dict[str, float], unit: str = "", digits: int = 2) -> str:
    f = f"{{:.{digits}f}}"
    return f"{f.format(s['median'])}{unit} ({f.format(s['min'])}–{f.format(s['max'])})"


def _median(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    mid = len(ordered) // 2
    median = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    return {"median": median, "min": ordered[0], "max": ordered[-1]}


def render(result: dict[str, Any]) -> str:
    lines = [
        f"Command: `{result['command']}` — {result['at']}, {result.get('duration_s', '?')} s.",
        "",
        "| variant (rev) | full cases/s | ratio to baseline | worker CPU / case | "
        "× baseline CPU | server CPU / case | breach: worker CPU / case | "
        "breach delay p50 / p95, idle | breach delay p50 / p95, 16 in flight | "
        "breach delay p50 / p95, burst of 16 deadlines | events / complete case |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    rounds = result["rounds"]
    base = result["baseline"]
    base_server = _median([r["baseline"]["server_cpu_ms_per_case"] for r in rounds])
    lines.append(
        f"| baseline | {_cell(base['cases_per_s'])} | 1 | {_cell(base['worker_cpu_ms'], ' ms', 0)}"
        f" | 1 | {_cell(base_server, ' ms', 0)}"
        f" | – | – | – | – | ≤ {base['events_per_case_max']} |"
    )
    for name, v in result["variants"].items():
        server = _median([r[name]["full"]["server_cpu_ms_per_case"] for r in rounds])
        # Results written before the `loaded` phase existed hold the burst under `_16`.
        burst, tail = (
            "breach_delay_p",
            ("_ms_burst" if "breach_delay_p95_ms_burst" in v else "_ms_16"),
        )
        loaded = (
            f"{v['breach_delay_p50_ms_16']['median']:.0f} / "
            f"{_cell(v['breach_delay_p95_ms_16'], ' ms', 0)}"
            if tail == "_ms_burst"
            else "not measured"
        )
        lines.append(
            f"| {name} (`{v['rev']}`) | {_cell(v['full_cases_per_s'])} | "
            f"{_cell(v['ratio_to_baseline'])} | {_cell(v['full_worker_cpu_ms'], ' ms', 0)} | "
            f"{_cell(v['worker_cpu_to_baseline'])} | {_cell(server, ' ms', 0)} | "
            f"{_cell(v['breach_worker_cpu_ms'], ' ms', 0)} | "
            f"{v['breach_delay_p50_ms_idle']['median']:.0f} / "
            f"{_cell(v['breach_delay_p95_ms_idle'], ' ms', 0)} | "
            f"{loaded} | "
            f"{v[burst + '50' + tail]['median']:.0f} / {_cell(v[burst + '95' + tail], ' ms', 0)} | "
            f"≤ {v['events_per_case_max']} |"
        )
    if result.get("scale_out_cases_per_s"):
        lines += [
            "",
            "| worker processes | complete cases/s | worker CPU / case | server CPU / case |",
        ]
        lines.append("|---|---|---|---|")
        for label, s in result["scale_out_cases_per_s"].items():
            runs = [p for p in result["scale_out"] if p["label"] == label]
            w = _median([p["worker_cpu_ms_per_case"] for p in runs])
            sv = _median([p["server_cpu_ms_per_case"] for p in runs])
            lines.append(f"| {label} | {_cell(s)} | {_cell(w, ' ms', 0)} | {_cell(sv, ' ms', 0)} |")
    shape = result["baseline_shape"]
    lines += [
        "",
        f"Baseline shape, derived in this run from `{shape['from']}` ({shape['history_events']} "
        f"events, {shape['workflow_tasks']} workflow tasks): {shape['updates']} updates, "
        f"{shape['activities']} regular activities, {shape['local_activities']} local "
        f"activities, {shape['timers']} timers ({shape['timer_cancels']} cancelled).",
    ]
    return "\n".join(lines)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS
    print(render(json.loads(path.read_text())))


if __name__ == "__main__":
    main()
