"""The reliability suite: processes of its own that the tests kill (issue 6).

Sizes: a reduced run by default (what `make test` and CI run), the full size with
`CABLECARE_RELIABILITY_SCALE=full` (`make test-reliability`). Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import pytest_asyncio
from temporalio.client import WorkflowQueryFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError

from bench.common import TIME_SKIPPING_FLAGS, free_port, prepare_app_db, wait_worker_polling
from cablecare.devserver import DevServer
from cablecare.domain import TASK_QUEUE

FULL = os.environ.get("CABLECARE_RELIABILITY_SCALE", "reduced") == "full"


@dataclass(frozen=True)
class Sizes:
    worker_kill_cases: int
    server_kill_cases: int
    burst_cases: int
    burst_messages_per_case: int
    fuzz_examples_per_message: int


SIZES = (
    Sizes(200, 100, 100, 10, 200)
    if FULL
    else Sizes(40, 20, 20, 10, 25)  # reduced: the shapes of the full run, in CI's budget
)

T = TypeVar("T")
# What a dead worker or a restarting server looks like to a client; RuntimeError is what a
# test's own "not there yet" check raises.
TRANSIENT = (
    RPCError,
    TimeoutError,
    ConnectionError,
    WorkflowQueryFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    RuntimeError,
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "reliability: kills processes; sized by the env")


async def retry(
    call: Callable[[], Awaitable[T]], what: str, *, timeout: float, per_try: float = 20.0
) -> T:
    """Retry `call` until it succeeds or `timeout` passes: the server or worker may be down.

    Only for idempotent calls (updates with an explicit id, starts with USE_EXISTING, queries)
    and only on errors that a restart explains; anything else (a refused update, a bug in the
    test) is raised at once."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            return await asyncio.wait_for(call(), min(per_try, max(1.0, deadline - loop.time())))
        except TRANSIENT as err:
            if loop.time() > deadline:
                raise TimeoutError(f"{what}: gave up after {timeout:.0f} s ({err!r})") from err
            await asyncio.sleep(0.5)


class Stack:
    """One Temporal dev server (own SQLite file, own ports, time skipping allowed) and
    `cablecare worker` subprocesses against it, with an application database."""

    def __init__(self, root: Path, database_url: str) -> None:
        self.root = root
        self.database_url = database_url
        self.port, self.ui_port = free_port(), free_port()
        self.server: DevServer | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.workers_started = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start_server(self) -> None:
        self.server = DevServer(
            var_dir=self.root / "temporal",
            port=self.port,
            ui_port=self.ui_port,
            log_level="error",
            extra_args=TIME_SKIPPING_FLAGS,
        )
        await self.server.start(timeout=90)

    def kill_server(self) -> None:
        """SIGKILL: no shutdown, no flush beyond what SQLite already committed."""
        assert self.server is not None and self.server.process is not None
        self.server.process.send_signal(signal.SIGKILL)
        self.server.process.wait(30)
        self.server.stop()  # closes the log file; the process is gone already

    def start_worker(self) -> None:
        """`cablecare worker`, the production command, in its own process."""
        self.workers_started += 1
        log = (self.root / f"worker-{self.workers_started}.log").open("ab")
        env = {
            **os.environ,
            "TEMPORAL_ADDRESS": self.address,
            "TEMPORAL_NAMESPACE": "default",
            "DATABASE_URL": self.database_url,
            # Explicit and logged: reliability is tested here, identity in tests/test_identity*.
            "CABLECARE_AUTH": "off",
        }
        try:
            self.worker = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "cablecare"),
                    "worker",
                    "--log-level",
                    "WARNING",
                ],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()

    def kill_worker(self) -> None:
        assert self.worker is not None
        self.worker.send_signal(signal.SIGKILL)
        self.worker.wait(30)

    async def wait_polling(self, client: Any) -> None:
        await wait_worker_polling(client, TASK_QUEUE, timeout=60)

    def stop(self) -> None:
        if self.worker is not None and self.worker.poll() is None:
            self.worker.send_signal(signal.SIGKILL)  # its work is durable: nothing to drain
            self.worker.wait(30)
        if self.server is not None:
            self.server.stop()

    def worker_log(self) -> str:
        return "\n".join(
            p.read_text(errors="replace")[-3000:] for p in sorted(self.root.glob("worker-*.log"))
        )


@pytest_asyncio.fixture
async def stack(tmp_path: Path, database_url: str) -> AsyncIterator[Stack]:
    """A server + worker of the test's own, on SQLite and on PostgreSQL (`database_url`)."""
    await asyncio.to_thread(prepare_app_db, database_url)
    s = Stack(tmp_path, database_url)
    try:
        await s.start_server()
        s.start_worker()
        yield s
    finally:
        s.stop()


@pytest_asyncio.fixture
async def sqlite_stack(tmp_path: Path) -> AsyncIterator[Stack]:
    """The same on SQLite only: for what the application database does not take part in."""
    url = f"sqlite:///{tmp_path / 'cablecare.db'}"
    await asyncio.to_thread(prepare_app_db, url)
    s = Stack(tmp_path, url)
    try:
        await s.start_server()
        s.start_worker()
        yield s
    finally:
        s.stop()
