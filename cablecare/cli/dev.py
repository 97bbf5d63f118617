"""`cablecare dev` (what `make run` starts): dev server + Web UI, sample data and a worker.

Everything lives under `var/`: the Temporal state (`temporal.db`), its log and the application
database (unless DATABASE_URL says otherwise). Restarting resumes the same cases.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import signal
import sys
from pathlib import Path
from typing import Any

import structlog
import typer
from rich.console import Console
from rich.text import Text

from cablecare import REPO_ROOT
from cablecare.cli.worker_cmd import WorkerStopTimeout, leave_now
from cablecare.devserver import DevServer, DevServerError, temporal_binary
from cablecare.logging import configure_logging
from cablecare.settings import Settings, get_settings

log = structlog.get_logger(__name__)

SAMPLE_DIRECTORY = REPO_ROOT / "data" / "sample-directory.json"


def dev(
    port: int = typer.Option(7233, help="Temporal frontend (gRPC) port."),
    ui_port: int = typer.Option(8233, help="Temporal Web UI port."),
    sample_data: bool = typer.Option(
        True, "--sample-data/--no-sample-data", help="Load data/sample-directory.json."
    ),
) -> None:
    """Start the embedded Temporal server with its Web UI, a worker and the sample data.

    Ctrl-C stops the worker, then the server.
    """
    configure_logging()
    settings = get_settings()
    server = DevServer(var_dir=settings.var_dir, port=port, ui_port=ui_port)
    try:
        asyncio.run(_run(server, settings, sample_data=sample_data))
    except DevServerError as error:
        log.error("dev server failed", error=str(error))
        raise typer.Exit(1) from error
    except WorkerStopTimeout:
        leave_now(0)  # the server was stopped in `_run`'s finally; the worker is abandoned
    except (KeyboardInterrupt, asyncio.CancelledError):
        log.info("interrupted during start-up: stopped")


async def _run(server: DevServer, settings: Settings, *, sample_data: bool) -> None:
    from activities.db import init_db
    from cablecare.cli.worker_cmd import run_until_stopped
    from cablecare.client import connect
    from cablecare.policy import load_policy
    from cablecare.schedules import apply_schedules
    from worker.build import build_worker

    # Until the worker runs (run_until_stopped takes over), SIGINT/SIGTERM cancel the start-up;
    # the `finally` below still stops the server, which runs in a session of its own.
    loop = asyncio.get_running_loop()
    main_task = asyncio.current_task()
    assert main_task is not None
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, main_task.cancel)
    try:
        await server.start()
        await asyncio.to_thread(init_db, settings.database_url)
        if sample_data:
            from activities.directory_load import load_directory_file

            await asyncio.to_thread(load_directory_file, settings.database_url, SAMPLE_DIRECTORY)
            log.info("sample directory loaded", path=str(SAMPLE_DIRECTORY))
        from cablecare.telemetry import install_metrics

        install_metrics()  # only when CABLECARE_METRICS_PORT is set
        # The dev server speaks plain gRPC on its own namespace, whatever TLS or API key the
        # environment configures for a real cluster. Payloads are encrypted only when codec
        # keys are configured (CABLECARE_CODEC_KEYS): off by default here.
        client = await connect(server.address, namespace=server.namespace, tls=False, api_key=None)
        worker = build_worker(client, settings)
        # The Temporal Schedules (fee reminders, key-account callbacks, monthly assessment):
        # idempotent, so every start of `cablecare dev` may apply them.
        await apply_schedules(
            client,
            task_queue=settings.task_queue,
            timezone=load_policy(settings.policy_path).timezone,
        )
        _print_banner(server, settings)
        await run_until_stopped(worker)
    finally:
        await asyncio.to_thread(server.stop)


def _shell_path(path: str | Path) -> str:
    """`path` relative to the working directory when under it: shorter to copy."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _example_request() -> dict[str, Any]:
    """A ServiceRequest start input (CONTRACT.md) naming a real sample subscriber and clerk."""
    subscriber_id, staff_id, rank = "SUB-0001", "ST-0001", 1
    try:
        data = json.loads(SAMPLE_DIRECTORY.read_text(encoding="utf-8"))
        subscriber_id = data["subscribers"][0]["subscriber_id"]
        clerks = [s for s in data["staff"] if "counter" in s.get("roles", [])]
        clerk = (clerks or data["staff"])[0]
        staff_id, rank = clerk["staff_id"], clerk["rank"]
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        pass  # placeholders: the example still shows the shape
    return {
        "request_id": "R-1001",
        "kind": "fault",
        "severity": "ordinary",
        "subscriber_id": subscriber_id,
        "channel": "phone",
        "received_by": [{"staff_id": staff_id, "rank": rank}],
        "description": "No signal on any channel since this morning",
        "materials": [],
    }


def _print_banner(server: DevServer, settings: Settings) -> None:
    temporal = _shell_path(temporal_binary())
    cablecare = _shell_path(Path(sys.executable).parent / "cablecare")
    address = [] if server.port == 7233 else ["--address", server.address]
    request = _example_request()
    start = [
        temporal,
        "workflow",
        "start",
        *address,
        "--task-queue",
        settings.task_queue,
        "--type",
        "ServiceRequest",
        "--workflow-id",
        f"service-request-{request['request_id']}",
        # A retried start returns the running case; a closed request id is not started again
        # (issue 9.5; the workflow refuses a second case of a request id anyway).
        "--id-conflict-policy",
        "UseExisting",
        "--id-reuse-policy",
        "RejectDuplicate",
        "--input",
        json.dumps(request, ensure_ascii=False),
    ]
    query = [
        temporal,
        "workflow",
        "query",
        *address,
        "--workflow-id",
        f"service-request-{request['request_id']}",
        "--name",
        "status",
    ]
    examples = [
        ("Deadline of an urban installation (National Day skipped)",
         f"{cablecare} sla due --kind installation --setting urban "
         "--start 2026-09-30T10:00:00+08:00"),
        ("Open a fault case", shlex.join(start)),
        ("Read its status", shlex.join(query)),
        ("Public disclosure (R1.1)", f"{cablecare} disclosure --format md"),
    ]  # fmt: skip
    # No wrapping: the commands must stay copyable on one line.
    console = Console(highlight=False, soft_wrap=True)
    console.print()
    console.print(Text.assemble(("cablecare dev is running", "bold green")))
    console.print(Text.assemble("  Temporal Web UI:  ", (server.ui_url, "bold cyan")))
    console.print(f"  Temporal server:  {server.address}  (task queue {settings.task_queue})")
    console.print(f"  Server state:     {_shell_path(server.db_path)}")
    console.print(f"  Server log:       {_shell_path(server.log_path)}")
    console.print(f"  Application db:   {settings.database_url}")
    console.print()
    console.print("Try:", style="bold")
    for title, command in examples:
        console.print(f"  # {title}", style="dim")
        console.print(Text("  " + command))
    console.print()
    console.print("Ctrl-C stops the worker, then the server.", style="dim")
