"""Bind each activity run's workflow id, request id and activity type to the log context.

Activities log with structlog (docs/conventions.md #7); with these fields bound through
contextvars every
line an activity writes (and every SQL warning under it) says which case it belongs to, without
each activity passing ids around. Synchronous activities run in a thread pool: the SDK copies
the context into the thread, so the binding made here reaches them too.
"""

from __future__ import annotations

from typing import Any

import structlog
from temporalio import activity
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from workflows.service_request.messages import workflow_id as service_request_id

_REQUEST_PREFIX = service_request_id("")


def log_fields(info: activity.Info) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "workflow_id": info.workflow_id,
        "activity_type": info.activity_type,
    }
    if info.workflow_id and info.workflow_id.startswith(_REQUEST_PREFIX):
        fields["request_id"] = info.workflow_id.removeprefix(_REQUEST_PREFIX)
    if info.attempt > 1:
        fields["attempt"] = info.attempt
    return fields


class _BindActivityContext(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        with structlog.contextvars.bound_contextvars(**log_fields(activity.info())):
            return await self.next.execute_activity(input)


class ActivityLogContext(Interceptor):
    """Worker interceptor: `build_worker` installs it on every worker."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _BindActivityContext(next)
