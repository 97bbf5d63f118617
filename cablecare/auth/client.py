"""Client side: put the caller's actor token on every message it sends (starts, updates, signals).

Used by `connect(token=...)` (cablecare/client.py): the CLI commands pass `--token` or the
`CABLECARE_TOKEN` environment variable; the worker's own client carries its service identity
(it opens accountability cases from an activity). A token source may be a callable so that a
long-running process can renew its token (`CABLECARE_TOKEN_FILE` is read again on every call).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.client import (
    Interceptor,
    OutboundInterceptor,
    SignalWorkflowInput,
    StartWorkflowInput,
    StartWorkflowUpdateInput,
    StartWorkflowUpdateWithStartInput,
    WorkflowHandle,
    WorkflowUpdateHandle,
)

from cablecare.auth.actor import ACTOR_HEADER

TOKEN_ENV = "CABLECARE_TOKEN"
TOKEN_FILE_ENV = "CABLECARE_TOKEN_FILE"
TokenSource = Callable[[], str | None]


def header_payload(token: str) -> Payload:
    """A JSON string payload: what `temporal --headers cablecare_actor='"<jwt>"'` sends."""
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(token).encode())


def token_from_header(payload: Payload | None) -> str | None:
    if payload is None:
        return None
    encoding = payload.metadata.get("encoding", b"")
    try:
        if encoding == b"json/plain":
            value = json.loads(payload.data)
        elif encoding == b"binary/plain":
            value = payload.data.decode()
        else:
            return None
    except (ValueError, UnicodeDecodeError):
        return None
    return value.strip() if isinstance(value, str) and value.strip() else None


def token_from_env() -> TokenSource | None:
    """CABLECARE_TOKEN (a token) or CABLECARE_TOKEN_FILE (read on every message: renewable)."""
    path = os.environ.get(TOKEN_FILE_ENV)
    if path:
        return lambda: Path(path).read_text(encoding="utf-8").strip() or None
    token = os.environ.get(TOKEN_ENV, "").strip()
    return (lambda: token) if token else None


class ActorToken(Interceptor):
    def __init__(self, source: TokenSource) -> None:
        self._source = source

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _AddToken(next, self._source)


class _AddToken(OutboundInterceptor):
    def __init__(self, next: OutboundInterceptor, source: TokenSource) -> None:
        super().__init__(next)
        self._source = source

    def _stamp(self, headers: Any) -> Any:
        token = self._source()
        if token and ACTOR_HEADER not in headers:
            return {**headers, ACTOR_HEADER: header_payload(token)}
        return headers

    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
        input.headers = self._stamp(input.headers)
        return await super().start_workflow(input)

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        input.headers = self._stamp(input.headers)
        await super().signal_workflow(input)

    async def start_workflow_update(
        self, input: StartWorkflowUpdateInput
    ) -> WorkflowUpdateHandle[Any]:
        input.headers = self._stamp(input.headers)
        return await super().start_workflow_update(input)

    async def start_update_with_start_workflow(
        self, input: StartWorkflowUpdateWithStartInput
    ) -> WorkflowUpdateHandle[Any]:
        input.start_workflow_input.headers = self._stamp(input.start_workflow_input.headers)
        input.update_workflow_input.headers = self._stamp(input.update_workflow_input.headers)
        return await super().start_update_with_start_workflow(input)
