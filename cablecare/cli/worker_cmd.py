"""`cablecare worker`: one worker process on task queue `cable-service` (docs/contract.md).

Connects through Temporal's environment configuration (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
TLS, API key) and DATABASE_URL. Run several for more throughput. SIGINT or SIGTERM stops
polling and lets running activities finish within the worker's graceful shutdown timeout.
"""

from __future__ import annotations

import asyncio
import signal
from typing import TYPE_CHECKING

import structlog
import typer

from cablecare.logging import configure_logging
from cablecare.settings import get_settings

if TYPE_CHECKING:
    from temporalio.worker import Worker

log = structlog.get_logger(__name__)


# Issue 9.8: how long a stop may take. The worker's graceful shutdown lets running activities
# finish (30 s, worker/build.py); beyond that and a margin the process leaves anyway: the server
# hands unfinished tasks to another worker, so nothing is lost by not waiting for ever.
SHUTDOWN_BOUND_S = 45.0


async def run_until_stopped(
    worker: Worker, stop: asyncio.Event | None = None, *, bound_s: float = SHUTDOWN_BOUND_S
) -> None:
    """Run `worker` until SIGINT/SIGTERM (or `stop` is set), then shut it down gracefully,
    within `bound_s` seconds; a second signal stops waiting at once.

    Raises if the worker itself fails (e.g. the server goes away for good).
    """
    stop = stop or asyncio.Event()
    hurry = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if stop.is_set():
            hurry.set()  # a second Ctrl-C: do not wait for the graceful shutdown
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    running = asyncio.create_task(worker.run(), name="worker")
    stopping = asyncio.create_task(stop.wait(), name="stop")
    try:
        await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if running.done():
            running.result()  # the worker failed: raise its error
            return
        log.info("stopping worker", task_queue=worker.task_queue)
        shutdown = asyncio.create_task(worker.shutdown(), name="shutdown")
        hurried = asyncio.create_task(hurry.wait(), name="hurry")
        done, _ = await asyncio.wait(
            {shutdown, hurried}, timeout=bound_s, return_when=asyncio.FIRST_COMPLETED
        )
        hurried.cancel()
        if shutdown not in done:
            log.warning(
                "worker did not stop in time; leaving its tasks to the server",
                task_queue=worker.task_queue,
                bound_s=bound_s,
            )
            raise WorkerStopTimeout()
        await asyncio.wait_for(running, timeout=5)
        log.info("worker stopped", task_queue=worker.task_queue)
    finally:
        stopping.cancel()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


class WorkerStopTimeout(Exception):
    """The worker did not finish its graceful shutdown within the bound: the process must leave
    without waiting for the SDK's threads (see `leave_now`)."""


def leave_now(code: int) -> None:
    """Exit at once: the worker's core threads are still busy, and an interpreter shutdown would
    wait for them (issue 9.8). Logs are flushed first."""
    import logging
    import os
    import sys

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


async def _serve() -> None:
    from activities.db import init_db
    from cablecare.client import connect
    from cablecare.telemetry import install_metrics
    from worker.build import build_worker

    settings = get_settings()
    install_metrics()  # CABLECARE_METRICS_PORT; must precede the first connect()
    await asyncio.to_thread(init_db, settings.database_url)
    client = await connect()
    worker = build_worker(client, settings)
    log.info(
        "worker polling",
        address=client.service_client.config.target_host,
        namespace=client.namespace,
        task_queue=worker.task_queue,
    )
    await run_until_stopped(worker)


def worker(
    log_level: str = typer.Option("INFO", "--log-level", help="DEBUG, INFO, WARNING or ERROR."),
) -> None:
    """Run one worker: every workflow and activity on task queue `cable-service`.

    Configuration: TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE (default
    `default`), TEMPORAL_TLS*/TEMPORAL_API_KEY, DATABASE_URL; CABLECARE_CODEC_KEYS[_FILE]
    (payload encryption), CABLECARE_METRICS_PORT (Prometheus endpoint).
    """
    configure_logging(log_level)
    try:
        asyncio.run(_serve())
    except WorkerStopTimeout:
        leave_now(0)
    except Exception as error:
        log.error("worker failed", error=str(error), error_type=type(error).__name__)
        raise typer.Exit(1) from error
