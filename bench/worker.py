"""The baseline worker process of `make bench`: the bare workflow of bench/baseline.py only.

    TEMPORAL_ADDRESS=127.0.0.1:PORT python -m bench.worker

The product runs in its own processes (`cablecare worker`, exactly as deployed), so each
side's CPU and memory are its own. Same client (pydantic converter, codec from the
environment), same logging level and the same activity thread pool size as the product.
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


async def main() -> None:
    client = await connect()
    cache = int(os.environ.get("BENCH_MAX_CACHED_WORKFLOWS", "1000"))
    baseline = Worker(
        client,
        task_queue=BASELINE_TASK_QUEUE,
        workflows=[BareCase],
        activities=[noop],
        activity_executor=ThreadPoolExecutor(max_workers=16),
        max_cached_workflows=cache,
    )
    await run_until_stopped(baseline)


if __name__ == "__main__":
    configure_logging(os.environ.get("BENCH_LOG_LEVEL", "INFO"))
    asyncio.run(main())
