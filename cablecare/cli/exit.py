"""Shut the Temporal SDK's runtime down while the interpreter is still whole (issue 9.8).

Why one-shot commands crashed at exit now and then ("Fatal Python error: PyGILState_Release",
exit 134/139, or a hang): the SDK's Rust core runs on Tokio threads owned by the `Runtime`,
which every client holds. Nothing dropped it before the interpreter's own finalisation, so it
was dropped during it. The bridge drops the core with the GIL released only when it can still
attach to the interpreter (`CoreRuntimeHandle::drop`: `Python::try_attach(|py| py.detach(..))`);
during finalisation it cannot, so the core was shut down with Tokio tasks still running that
then called into a half-finalised interpreter (log forwarding, the completion of a connect
or RPC future).

The fix: an `atexit` hook (it runs before finalisation, after the command's work) collects the
command's dead clients and releases the default runtime, so the last reference goes while
Python is whole and the bridge takes its orderly path: release the GIL, stop the core, let
its tasks finish. Anything that still held a client past this point would keep the runtime
alive, so commands must not park clients in module globals.
"""

from __future__ import annotations

import atexit
import gc
import sys

_installed = False


def release_temporal_runtime() -> None:
    runtime_module = sys.modules.get("temporalio.runtime")
    if runtime_module is None:  # the command never touched Temporal
        return
    gc.collect()  # clients and workers of the finished event loop
    ref = getattr(runtime_module, "_runtime_ref", None)
    if ref is not None:
        ref._default_runtime = None
    gc.collect()


def install() -> None:
    global _installed
    if not _installed:
        atexit.register(release_temporal_runtime)
        _installed = True
