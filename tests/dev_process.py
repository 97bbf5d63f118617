"""`cablecare dev` as a subprocess on free ports and a temporary `var/` (tests of issue 13)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

CABLECARE = str(Path(sys.executable).parent / "cablecare")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class DevProcess:
    var_dir: Path
    args: list[str] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    ui_port: int = field(default_factory=free_port)
    codec_port: int = field(default_factory=free_port)
    process: subprocess.Popen[str] | None = None
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def output_path(self) -> Path:
        return self.var_dir.parent / "dev.out"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CABLECARE_", "TEMPORAL_"))}
        env["CABLECARE_VAR_DIR"] = str(self.var_dir)
        env["DATABASE_URL"] = f"sqlite:///{self.var_dir / 'cablecare.db'}"
        env.update(self.extra_env)
        return env

    def command(self) -> list[str]:
        return [
            CABLECARE,
            "dev",
            "--port",
            str(self.port),
            "--ui-port",
            str(self.ui_port),
            "--codec-port",
            str(self.codec_port),
            *self.args,
        ]

    def start(self) -> None:
        out = self.output_path.open("w")
        self.process = subprocess.Popen(
            self.command(), env=self.env(), stdout=out, stderr=subprocess.STDOUT, text=True
        )

    def output(self) -> str:
        return self.output_path.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if text in self.output():
                return
            if self.process.poll() is not None:
                raise AssertionError(f"cablecare dev exited early:\n{self.output()[-3000:]}")
            time.sleep(0.5)
        raise AssertionError(f"{text!r} not printed within {timeout} s:\n{self.output()[-3000:]}")

    def stop(self) -> int:
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode
