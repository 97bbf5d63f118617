"""Baseline against candidate for the fast engine (issue 14): `bench.simulate --only fast`
of a baseline commit and of this tree, alternated `--rounds` times (the machine is shared:
alternating spreads its load over both), each run 1 process then `--workers` processes.
Prints every run with the load average at its start, then the ratios baseline / candidate.

    .venv/bin/python -m bench.simulate_ab --baseline 20afba3 --rounds 2

The baseline is `git archive`d into a temporary directory and run with this venv, its own
code first on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path
from typing import Any

from cablecare import REPO_ROOT


def _runs(tree: Path, scale: float, workers: int) -> list[dict[str, Any]]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    cmd = [sys.executable, "-m", "bench.simulate", "--only", "fast", "--scale", str(scale),
           "--workers", str(workers)]  # fmt: skip
    # bench.simulate writes its latest results into the tree: keep the committed ones.
    saved = tree / "bench" / "results" / "simulate-fast-latest.json"
    before = saved.read_bytes() if saved.exists() else None
    try:
        run = subprocess.run(cmd, cwd=tree, env=env, check=True, capture_output=True, text=True)
    finally:
        if before is not None:
            saved.write_bytes(before)
    out = run.stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", required=True, help="commit of the baseline")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--scale", type=float, default=51.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    archive = subprocess.run(
        ["git", "archive", args.baseline], cwd=REPO_ROOT, check=True, capture_output=True
    ).stdout
    results: dict[tuple[str, int], list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="cablecare-ab-") as tmp:
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        trees = {"baseline": Path(tmp), "candidate": REPO_ROOT}
        for r in range(1, args.rounds + 1):
            for name, tree in trees.items():
                load = " ".join(f"{x:.2f}" for x in os.getloadavg())
                print(f"round {r} {name} at {time.strftime('%H:%M:%S')} load {load}", flush=True)
                for run in _runs(tree, args.scale, args.workers):
                    results.setdefault((name, run["workers"]), []).append(run)
                    print(f"  {run['workers']} process(es): {run['requests']:,} requests, "
                          f"wall {run['wall_s']} s, CPU {run['cpu_s']} s", flush=True)  # fmt: skip
    for workers in sorted({w for _, w in results}):
        base, cand = results[("baseline", workers)], results[("candidate", workers)]
        for key in ("wall_s", "cpu_s"):
            b, c = statistics.median(x[key] for x in base), statistics.median(x[key] for x in cand)
            print(f"{workers} process(es) {key}: baseline median {b:.1f}, candidate median "
                  f"{c:.1f}, ratio {b / c:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
