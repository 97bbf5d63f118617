"""Build a configured Worker. Used by `cablecare worker`, `cablecare dev` and the tests."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pydantic
import structlog
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from cablecare.auth.keys import KeyArchive
from cablecare.settings import Settings
from worker.identity import ActorInterceptor, IdentityGate, rules_from_settings
from worker.key_sync import KeySync
from worker.log_context import ActivityLogContext
from worker.registry import activity_callables, workflow_classes


def identity_gate(settings: Settings) -> IdentityGate:
    """CABLECARE_AUTH=required (the default): verify every actor token against the IdP's keys,
    archived in the application database and kept current by a background sync."""
    log = structlog.get_logger(__name__)  # a fresh proxy: structlog caches a used one's config
    if settings.auth == "off":
        log.warning(
            "AUTH IS OFF: messages are not checked for who sends them (CABLECARE_AUTH=off); "
            "use this only for tests of other things"
        )
        return IdentityGate(rules=None, archive=lambda: _no_keys)
    rules = rules_from_settings(settings)
    sync = KeySync(
        settings.database_url,
        rules.issuer,
        settings.auth_jwks_url,
        every=timedelta(seconds=settings.auth_key_sync_seconds),
    )
    sync.start()
    log.info("actor tokens required", issuer=rules.issuer, keys=len(sync.archive.keys))
    return IdentityGate(rules=rules, archive=lambda: sync.archive, request_sync=sync.request)


# Workflow modules shared with the host instead of re-executed in each new sandbox (issue 15):
# ServiceRequest's module defines a class with ~30 handlers, and re-running it cost every new
# case several ms of worker CPU (bench/sandbox.py). Safe because the module imports only
# passed-through modules and keeps no mutable module state; what the sandbox no longer checks
# is a forbidden call (wall clock, random, I/O) written directly in that one file, which the
# replay tests (tests/test_replay.py) and review cover.
PASSTHROUGH_WORKFLOW_MODULES = ("workflows.service_request.workflow",)


def workflow_runner() -> SandboxedWorkflowRunner:
    restrictions = SandboxRestrictions.default.with_passthrough_modules(
        *PASSTHROUGH_WORKFLOW_MODULES
    )
    return SandboxedWorkflowRunner(restrictions=restrictions)


def build_worker(
    client: Client,
    settings: Settings,
    *,
    task_queue: str | None = None,
    identity: IdentityGate | None = None,
    **overrides: Any,
) -> Worker:
    options: dict[str, Any] = {
        "task_queue": task_queue or settings.task_queue,
        "workflows": workflow_classes(),
        "activities": activity_callables(settings),
        # Database activities are synchronous (SQLModel): they run in this thread pool.
        "activity_executor": ThreadPoolExecutor(max_workers=16),
        # docs/temporal-notes.md: a payload that fails pydantic validation must fail the
        # workflow with the field list, not retry the workflow task forever.
        "workflow_failure_exception_types": [pydantic.ValidationError],
        "workflow_runner": workflow_runner(),
        "graceful_shutdown_timeout": timedelta(seconds=30),
        # Every log line of an activity carries its workflow id and request id; every message
        # that acts for a person is checked for who sends it (worker/identity.py).
        "interceptors": [
            ActivityLogContext(),
            ActorInterceptor(identity or identity_gate(settings)),
        ],
    }
    options.update(overrides)
    return Worker(client, **options)


_no_keys = KeyArchive()
