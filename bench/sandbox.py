"""Sandbox set-up per new workflow: the SDK's default runner against the product's
(worker/build.py, ServiceRequest's module passed through), alternating rounds.

    .venv/bin/python -m bench.sandbox [--rounds 5] [--n 100]

`prepare_workflow` is what the worker does for each new workflow instance (a fresh sandbox,
the workflow module imported into it unless passed through). CPU time of this process.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner
from temporalio.workflow import _Definition

from worker.build import workflow_runner
from workflows.service_request.workflow import ServiceRequest


def per_instance_ms(runner: SandboxedWorkflowRunner, n: int) -> float:
    definition = _Definition.must_from_class(ServiceRequest)
    runner.prepare_workflow(definition)  # the first instance may import anything once
    started = time.process_time()
    for _ in range(n):
        runner.prepare_workflow(definition)
    return (time.process_time() - started) / n * 1000


async def _main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--n", type=int, default=100)
    args = parser.parse_args()
    runners = {"default": SandboxedWorkflowRunner(), "product": workflow_runner()}
    results: dict[str, list[float]] = {name: [] for name in runners}
    for r in range(args.rounds):
        order = list(runners) if r % 2 == 0 else list(runners)[::-1]
        for name in order:
            results[name].append(per_instance_ms(runners[name], args.n))
    for name, values in results.items():
        print(
            f"{name:8} sandbox set-up per new ServiceRequest: median "
            f"{statistics.median(values):.2f} ms CPU (min {min(values):.2f}, max {max(values):.2f})"
        )
    ratios = [p / d for p, d in zip(results["product"], results["default"], strict=True)]
    print(f"product/default per round: {[round(x, 2) for x in ratios]}")


def main() -> None:
    asyncio.run(_main())  # the runner sets up its instance on the running loop


if __name__ == "__main__":
    main()
