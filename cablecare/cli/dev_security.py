"""What makes `cablecare dev` safe by default: one process per `var/`, encrypted payloads, and the
codec server the Web UI decodes them with (issue 13 item 3).

- **The lock.** Two `cablecare dev` on one `var/` (on different ports) both open
  `var/temporal.db` and fight over its shard ownership until the data is corrupt. An exclusive
  `flock` on `var/dev.lock` is held for the life of the process; the kernel drops it when the
  process dies, so a crash never leaves a stale lock behind.
- **The key.** `var/codec-keys` (mode 600) is created with a fresh AES-256 key on first run, in
  the `id:base64key` format of `cablecare/codec.py`, so the server's SQLite file holds ciphertext
  and a customer's name or phone in a description is not readable there. CABLECARE_CODEC_KEYS or
  CABLECARE_CODEC_KEYS_FILE, when set, win (the same keys as a shared environment).
- **The codec server.** The UI (`--ui-codec-endpoint`) has the browser POST payloads to it. The
  browser has no bearer token to send, so in dev a request from the UI's own origin is enough;
  everything else (curl, tools) still needs the token printed in the banner. It listens on
  127.0.0.1 only: whoever can reach it there can read `var/codec-keys` anyway.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from cablecare.codec import KEYS_ENV, KEYS_FILE_ENV, AesGcmCodec, KeyRing, new_key_entry

LOCK_FILE = "dev.lock"
KEY_FILE = "codec-keys"
DEV_KEY_ID = "dev1"


class VarDirLocked(RuntimeError):
    """Another `cablecare dev` holds this `var/`."""


@contextlib.contextmanager
def var_dir_lock(var_dir: Path) -> Iterator[None]:
    """Hold `var_dir/dev.lock` exclusively, or raise VarDirLocked naming the holder's pid."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / LOCK_FILE
    handle: IO[str] = path.open("a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise VarDirLocked(
                f"another `cablecare dev` (pid {holder}) is running on {var_dir}: two servers on "
                "one temporal.db corrupt it. Stop that one, or give this one its own directory "
                "with CABLECARE_VAR_DIR=/some/other/var"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield
    finally:
        handle.close()  # releases the lock


def dev_keys(var_dir: Path) -> tuple[KeyRing, str]:
    """The payload keys of `cablecare dev` and where they come from (for the banner).

    The environment's keys when configured; otherwise `var_dir/codec-keys`, created if absent.
    """
    configured = KeyRing.from_env()
    if configured is not None:
        source = KEYS_FILE_ENV if os.environ.get(KEYS_FILE_ENV) else KEYS_ENV
        return configured, source
    path = var_dir / KEY_FILE
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        # O_EXCL + 0600: created private, never readable by others even for a moment.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write("# cablecare dev payload key (cablecare/codec.py). Keep it: without it\n")
            out.write("# the cases in temporal.db cannot be read.\n")
            out.write(new_key_entry(DEV_KEY_ID) + "\n")
    return KeyRing.parse(path.read_text(encoding="utf-8")), str(path)


@dataclass
class DevCodecServer:
    """The codec server of `cablecare dev`, in-process on 127.0.0.1 (aiohttp)."""

    codec: AesGcmCodec
    port: int
    ui_origins: list[str]
    token: str = ""

    def __post_init__(self) -> None:
        self.token = self.token or secrets.token_urlsafe(24)
        self._runner: object | None = None

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    async def start(self) -> None:
        from aiohttp import web

        from cablecare.codec_server import create_app

        app = create_app(
            self.codec,
            tokens=[self.token],
            allowed_origins=self.ui_origins,
            origin_suffices=True,
        )
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        self._runner = runner

    async def stop(self) -> None:
        from aiohttp import web

        runner, self._runner = self._runner, None
        if isinstance(runner, web.AppRunner):
            await runner.cleanup()
