"""What the benchmarks share: the embedded server on free loopback ports, the application
database, the worker subprocess, and CPU/RSS read from /proc (no extra dependency)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from activities.db import init_db
from activities.directory_load import load_directory_file
from cablecare import REPO_ROOT
from cablecare.devserver import DevServer

_TICKS = os.sysconf("SC_CLK_TCK")
TIME_SKIPPING_FLAGS = ["--dynamic-config-value", "frontend.WorkflowTimeSkippingEnabled=true"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server(
    var_dir: Path, *, time_skipping: bool = False, port: int = 0, ui_port: int = 0
) -> DevServer:
    """The same embedded server as `cablecare dev` (SQLite file + WAL pragmas), own ports."""
    return DevServer(
        var_dir=var_dir,
        port=port or free_port(),
        ui_port=ui_port or free_port(),
        log_level="error",
        extra_args=TIME_SKIPPING_FLAGS if time_skipping else [],
    )


def prepare_app_db(url: str) -> None:
    """Schema by Alembic and the sample directory, as `cablecare dev` does."""
    init_db(url)
    load_directory_file(url, REPO_ROOT / "data" / "sample-directory.json")


@dataclass(frozen=True)
class ProcSample:
    cpu_s: float  # user + system CPU seconds since the process started
    rss_mb: float
    peak_rss_mb: float


def proc_sample(pid: int) -> ProcSample:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14, 15)
    status = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    kb = lambda key: int(status.get(key, "0 kB").split()[0])  # noqa: E731
    return ProcSample(cpu, kb("VmRSS") / 1024, kb("VmHWM") / 1024)


def spawn_worker(
    address: str, database_url: str, log_path: Path, *, module: str = "bench.worker", **env: str
) -> subprocess.Popen[bytes]:
    """A worker in its own process, so that its CPU and memory are its own."""
    environ = {
        **os.environ,
        "TEMPORAL_ADDRESS": address,
        "TEMPORAL_NAMESPACE": "default",
        "DATABASE_URL": database_url,
        # The bench clients send no actor tokens (issue 10): explicit, and logged by the worker.
        "CABLECARE_AUTH": "off",
        **env,
    }
    log = log_path.open("ab")
    try:
        return subprocess.Popen(
            [sys.executable, "-m", module],
            cwd=REPO_ROOT,
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        log.close()  # the child holds its own descriptor


def stop_process(process: subprocess.Popen[bytes] | None, timeout: float = 30.0) -> None:
    """SIGTERM, then SIGKILL after `timeout`. Safe on a process that already exited."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


async def wait_worker_polling(client, task_queue: str, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    """Until a worker polls `task_queue` (DescribeTaskQueue lists its pollers)."""
    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        response = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace,
                task_queue=TaskQueue(name=task_queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            )
        )
        if response.pollers:
            return
        await asyncio.sleep(0.2)
    raise TimeoutError(f"no worker polled {task_queue} within {timeout:.0f} s")


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def run_and_write(bench: Callable[[Any], Awaitable[dict[str, Any]]], args: Any) -> None:
    """Run one benchmark, add its wall time, write its JSON to `args.output`."""
    started = time.monotonic()
    result = asyncio.run(bench(args))
    result["duration_s"] = round(time.monotonic() - started, 1)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.output} in {result['duration_s']} s")
