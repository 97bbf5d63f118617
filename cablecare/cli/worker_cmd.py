"""`cablecare worker`: one worker process on task queue `cable-service` (CONTRACT.md).

Connects through Temporal's environment configuration (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
TLS, API key) and DATABASE_URL. Run several for more throughput. SIGINT or SIGTERM stops
polling and lets running activities finish within the worker's graceful shutdown timeout.
"""

from __future__ import annotations

import asyncio
import signal

import structlog
import typer
from temporalio.worker import Worker

from cablecare.logging import configure_logging
from cablecare.settings import get_settings

log = structlog.get_logger(__name__)


async def run_until_stopped(worker: Worker, stop: asyncio.Event | None = None) -> None:
    """Run `worker` until SIGINT/SIGTERM (or `stop` is set), then shut it down gracefully.

    Raises if the worker itself fails (e.g. the server goes away for good).
    """
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    running = asyncio.create_task(worker.run(), name="worker")
    stopping = asyncio.create_task(stop.wait(), name="stop")
    try:
        await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if running.done():
            running.result()  # the worker failed: raise its error
            return
        log.info("stopping worker", task_queue=worker.task_queue)
        await worker.shutdown()
        await running
        log.info("worker stopped", task_queue=worker.task_queue)
    finally:
        stopping.cancel()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


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
    except Exception as error:
        log.error("worker failed", error=str(error), error_type=type(error).__name__)
        raise typer.Exit(1) from error
