"""`cablecare dev` (what `make run` starts): dev server + Web UI, sample data and a worker.

Everything lives under `var/`: the Temporal state (`temporal.db`), its log, the application
database (unless DATABASE_URL says otherwise), the payload key (`codec-keys`) and the lock
(`dev.lock`). Restarting resumes the same cases. Payloads are encrypted and the UI decodes them
through the codec server started here (cablecare/cli/dev_security.py). On the first run the
server is filled with demo cases in every state (cablecare/cli/first_run.py).
"""

from __future__ import annotations

import asyncio
import json
import shlex
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog
import typer
from rich.console import Console
from rich.text import Text

from cablecare import REPO_ROOT
from cablecare.cli.worker_cmd import WorkerStopTimeout, leave_now
from cablecare.devserver import DevServer, DevServerError, temporal_binary
from cablecare.logging import configure_logging
from cablecare.settings import Settings, get_settings

if TYPE_CHECKING:
    from cablecare.cli.dev_security import DevCodecServer

log = structlog.get_logger(__name__)

SAMPLE_DIRECTORY = REPO_ROOT / "data" / "sample-directory.json"


def dev(
    port: int = typer.Option(7233, help="Temporal frontend (gRPC) port."),
    ui_port: int = typer.Option(8233, help="Temporal Web UI port."),
    codec_port: int | None = typer.Option(
        None, help="Codec server port (the UI decodes payloads there); default UI port + 1."
    ),
    sample_data: bool = typer.Option(
        True, "--sample-data/--no-sample-data", help="Load data/sample-directory.json."
    ),
    demo_cases: bool = typer.Option(
        True,
        "--demo-cases/--no-demo-cases",
        help="On the first run (empty var/), run demo cases in every state through the worker "
        "(needs the sample data).",
    ),
) -> None:
    """Start the embedded Temporal server with its Web UI, a worker and the sample data.

    Payloads are encrypted with a key kept in var/codec-keys (created on first run); the UI
    decodes them through a codec server on 127.0.0.1. One `cablecare dev` per var/ (a lock).
    Ctrl-C stops the worker, then the server.
    """
    from cablecare.cli.dev_security import VarDirLocked, var_dir_lock
    from cablecare.codec import CodecKeyError

    configure_logging()
    settings = get_settings()
    codec_port = codec_port or ui_port + 1
    server = DevServer(
        var_dir=settings.var_dir,
        port=port,
        ui_port=ui_port,
        extra_args=[
            "--ui-codec-endpoint",
            f"http://localhost:{codec_port}",
            # Per-workflow time skipping, for the first-run demo cases (breaches, callbacks).
            "--dynamic-config-value",
            "frontend.WorkflowTimeSkippingEnabled=true",
        ],
    )
    try:
        with var_dir_lock(settings.var_dir):
            # Before the server creates temporal.db: an empty var/ is a first run.
            first_run = demo_cases and sample_data and not server.db_path.exists()
            asyncio.run(
                _run(
                    server,
                    settings,
                    sample_data=sample_data,
                    codec_port=codec_port,
                    first_run=first_run,
                )
            )
    except (DevServerError, VarDirLocked, CodecKeyError, OSError) as error:
        log.error("dev server failed", error=str(error))
        raise typer.Exit(1) from error
    except WorkerStopTimeout:
        leave_now(0)  # the server was stopped in `_run`'s finally; the worker is abandoned
    except (KeyboardInterrupt, asyncio.CancelledError):
        log.info("interrupted during start-up: stopped")


async def _run(
    server: DevServer,
    settings: Settings,
    *,
    sample_data: bool,
    codec_port: int,
    first_run: bool,
) -> None:
    from activities.db import init_db
    from cablecare.cli.dev_security import DevCodecServer, dev_keys
    from cablecare.cli.worker_cmd import run_until_stopped
    from cablecare.client import connect
    from cablecare.codec import AesGcmCodec
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
    keys, key_source = dev_keys(settings.var_dir)
    codec = AesGcmCodec(keys)
    codec_server = DevCodecServer(
        codec,
        port=codec_port,
        ui_origins=[f"http://localhost:{server.ui_port}", f"http://127.0.0.1:{server.ui_port}"],
    )
    demo: asyncio.Task[None] | None = None
    try:
        await codec_server.start()
        await server.start()
        await asyncio.to_thread(init_db, settings.database_url)
        if sample_data:
            from activities.directory_load import load_directory_file

            await asyncio.to_thread(load_directory_file, settings.database_url, SAMPLE_DIRECTORY)
            log.info("sample directory loaded", path=str(SAMPLE_DIRECTORY))
        from cablecare.telemetry import install_metrics

        install_metrics()  # only when CABLECARE_METRICS_PORT is set
        # The dev server speaks plain gRPC on its own namespace, whatever TLS or API key the
        # environment configures for a real cluster. Payloads are always encrypted here.
        settings, worker_token = await asyncio.to_thread(_dev_identity, settings)
        client = await connect(
            server.address,
            namespace=server.namespace,
            tls=False,
            api_key=None,
            codec=codec,
            token=worker_token,
        )
        worker = build_worker(client, settings)
        # The Temporal Schedules (fee reminders, key-account callbacks, monthly assessment):
        # idempotent, so every start of `cablecare dev` may apply them.
        await apply_schedules(
            client,
            task_queue=settings.task_queue,
            timezone=load_policy(settings.policy_path).timezone,
        )
        _print_banner(server, settings, codec_server, key_source)
        if first_run:
            from cablecare.cli.first_run import run_in_background

            demo = run_in_background(client, settings)
        await run_until_stopped(worker)
    finally:
        if demo is not None:
            demo.cancel()
        await asyncio.to_thread(server.stop)
        await codec_server.stop()


WORKER_IDENTITY = "cablecare-worker"  # policy/service-identities.toml


def _dev_identity(settings: Settings) -> tuple[Settings, Any]:
    """Issue 10: the dev worker trusts its own local issuer (key under var/auth/), whose public
    key it pins in the archive (it has signed nothing a worker saw yet, so no history can be
    judged differently), and carries its own service identity (it opens accountability cases).
    CABLECARE_AUTH=off turns all of it off, loudly."""
    if settings.auth == "off":
        return settings, None
    from datetime import UTC, datetime

    from cablecare.auth.issuer import LocalIssuer, renewing_source
    from worker.key_sync import record_keys

    issuer = LocalIssuer(settings.var_dir / "auth")
    jwks = issuer.ensure()
    record_keys(
        settings.database_url,
        issuer.issuer,
        jwks["keys"],
        now=datetime.now(UTC),
        pinned=True,
        retire_missing=False,
    )
    settings = settings.model_copy(
        update={
            "auth_issuer": issuer.issuer,
            "auth_audience": issuer.audience,
            "auth_jwks_url": issuer.jwks_url,
        }
    )
    return settings, renewing_source(issuer, WORKER_IDENTITY)


def _shell_path(path: str | Path) -> str:
    """`path` relative to the working directory when under it: shorter to copy."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _example_request() -> dict[str, Any]:
    """A ServiceRequest start input (docs/contract.md) naming a real sample subscriber and clerk."""
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


def _security_lines(codec_server: DevCodecServer, key_source: str) -> list[str]:
    """The banner's lines about payload encryption (issue 13 item 3): one place to change."""
    return [
        f"  Payload key:      {_shell_path(key_source)}  (payloads are encrypted)",
        f"  Codec server:     {codec_server.url}  (the UI decodes through it; tools pass "
        f"{shlex.join(_codec_flags(codec_server))})",
        "  cablecare CLI:    "
        + (
            f"export CABLECARE_CODEC_KEYS_FILE={_shell_path(key_source)}"
            if Path(key_source).is_file()
            else f"keep {key_source} set"
        )
        + "  (commands that send or read payloads need the key)",
    ]


def _codec_flags(codec_server: DevCodecServer) -> list[str]:
    return ["--codec-endpoint", codec_server.url, "--codec-auth", f"Bearer {codec_server.token}"]


def _print_banner(
    server: DevServer, settings: Settings, codec_server: DevCodecServer, key_source: str
) -> None:
    temporal = _shell_path(temporal_binary())
    cablecare = _shell_path(Path(sys.executable).parent / "cablecare")
    address = [] if server.port == 7233 else ["--address", server.address]
    address += _codec_flags(codec_server)  # the CLI encrypts the input, decodes the answer
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
    clerk = request["received_by"][0]["staff_id"]
    # Issue 10: every message carries its sender's token (header cablecare_actor, JSON string).
    header = '--headers "cablecare_actor=\\"$TOKEN\\""'
    examples = [
        ("Deadline of an urban installation (National Day skipped)",
         f"{cablecare} sla due --kind installation --setting urban "
         "--start 2026-09-30T10:00:00+08:00"),
        (f"A token for {clerk}, the clerk who received the call (local dev issuer)",
         f"TOKEN=$({cablecare} token issue --staff {clerk} --ttl 8h)"),
        ("Open a fault case, as that clerk", f"{shlex.join(start)} {header}"),
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
    if settings.auth == "off":
        console.print("  Actor tokens:     OFF (CABLECARE_AUTH=off): nobody checked", style="red")
    else:
        console.print(
            f"  Actor tokens:     required; local issuer {settings.auth_issuer} "
            f"(`{cablecare} token issue --staff ID`)"
        )
    for line in _security_lines(codec_server, key_source):
        console.print(Text(line))
    console.print()
    console.print("Try:", style="bold")
    for title, command in examples:
        console.print(f"  # {title}", style="dim")
        console.print(Text("  " + command))
    console.print()
    console.print("Ctrl-C stops the worker, then the server.", style="dim")
