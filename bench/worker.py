"""The worker process of `make bench`: the product worker plus the baseline workflow.

    TEMPORAL_ADDRESS=127.0.0.1:PORT DATABASE_URL=sqlite:///... python -m bench.worker

One process, two task queues: `cable-service` (exactly what `cablecare worker` runs, built by
worker/build.py) and `bench-baseline` (bench/baseline.py). Both share the process, so the
worker CPU and RSS that the benchmark reads cover both; each phase runs only one of them.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

from temporalio.worker import Worker

from bench.baseline import BASELINE_TASK_QUEUE, BareCase, noop
from cablecare.cli.worker_cmd import run_until_stopped
from cablecare.client import connect
from cablecare.logging import configure_logging
from cablecare.settings import get_settings
from worker.build import build_worker


async def main() -> None:
    settings = get_settings()
    client = await connect()
    cache = int(os.environ.get("BENCH_MAX_CACHED_WORKFLOWS", "1000"))
    product = build_worker(client, settings, max_cached_workflows=cache)
    baseline = Worker(
        client,
        task_queue=BASELINE_TASK_QUEUE,
        workflows=[BareCase],
        activities=[noop],
        activity_executor=ThreadPoolExecutor(max_workers=16),
        max_cached_workflows=cache,
    )
    stop = asyncio.Event()
    async with baseline:
        await run_until_stopped(product, stop)


if __name__ == "__main__":
    configure_logging(os.environ.get("BENCH_LOG_LEVEL", "WARNING"))
    asyncio.run(main())
