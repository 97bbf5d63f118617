"""The worker interceptor that verifies who is acting, where the decision is made (issue 10).

For every start, update and signal it reads the actor token from the Temporal header
`cablecare_actor`, verifies it as of the workflow's time against the key archive
(cablecare/auth/verify.py), checks that the message's acting field names that actor
(cablecare/auth/acting.py), and hands the verdict to the workflow code (a context variable,
`cablecare.auth.actor.current_verdict()`), whose validators then check the actor's role.

- Update validator: a refusal rejects the update, which leaves no trace in history.
- Update handler: verified again (validators do not run on replay; the handler does, and the
  verdict is the same pure function), so the handler can record the actor.
- Signal: signals have no validator and are re-delivered on replay. The verdict goes to the
  handler, which records a refused signal as rejected and never applies it; a signal whose
  operation does not record refusals is dropped.
- Start: a refused start fails the workflow at once with the reason (nothing has run yet);
  continue-as-new runs are the workflow's own and are not checked again.
When this worker's copy of the key archive is too old to decide as every other worker would,
it decides nothing: validators refuse with "retry", other paths fail the workflow task (Temporal
retries it) and a key sync is requested.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    ExecuteWorkflowInput,
    HandleSignalInput,
    HandleUpdateInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

from cablecare.auth.acting import check_acting, rule_for
from cablecare.auth.actor import ACTOR_HEADER, Verdict, reset_verdict, set_verdict
from cablecare.auth.client import token_from_header
from cablecare.auth.keys import KeyArchive
from cablecare.auth.services import load_services
from cablecare.auth.verify import ArchiveStale, TokenRefused, TokenRules, verify_token
from cablecare.settings import Settings

log = structlog.get_logger(__name__)
REFUSED = "NotAuthorized"  # ApplicationError type of every identity refusal
NO_TOKEN = (
    f"no actor token: send the sender's token in the Temporal header {ACTOR_HEADER} "
    f"(temporal CLI: --headers {ACTOR_HEADER}='\"<token>\"'; `cablecare token issue` in dev)"
)


class IdentityGate:
    """What the interceptor decides with: the mode, the token rules and the archive snapshot."""

    def __init__(
        self,
        *,
        rules: TokenRules | None,
        archive: Callable[[], KeyArchive],
        request_sync: Callable[[], None] = lambda: None,
    ) -> None:
        self.rules = rules  # None: CABLECARE_AUTH=off
        self._archive = archive
        self.request_sync = request_sync

    @property
    def off(self) -> bool:
        return self.rules is None

    def judge(self, operation: str, headers: Mapping[str, Payload], payload: Any) -> Verdict:
        """The verdict on one message; raises ArchiveStale when this worker must not decide."""
        if self.rules is None:
            return Verdict(auth_off=True)
        rule = rule_for(operation)
        if rule is not None and rule.unattended:
            return Verdict()
        token = token_from_header(headers.get(ACTOR_HEADER))
        if token is None:
            return Verdict(refusal=NO_TOKEN)
        try:
            # PyJWT and `cryptography` run outside the sandbox's module copies: a Rust-raised
            # InvalidSignature must meet the real exception class (a re-imported one aborts).
            now = workflow.now()
            with workflow.unsafe.imports_passed_through():
                actor = verify_token(
                    token, self._archive(), now, self.rules, fresh_at=min(now, _wall_clock())
                )
        except TokenRefused as refusal:
            return Verdict(refusal=str(refusal))
        except ArchiveStale:
            self.request_sync()
            raise
        return Verdict(
            actor=actor, refusal=check_acting(operation, payload, actor, self.rules.services)
        )


def _wall_clock() -> datetime:
    """Only for the archive's freshness, which decides whether this worker decides *now* (a
    refusal to decide leaves no history), never what it decides: replay-safe."""
    with workflow.unsafe.sandbox_unrestricted():
        return datetime.now(UTC)


def rules_from_settings(settings: Settings) -> TokenRules:
    if not settings.auth_issuer:
        raise ValueError(
            "CABLECARE_AUTH=required needs CABLECARE_AUTH_ISSUER and CABLECARE_AUTH_JWKS_URL "
            "(the operator's OIDC provider); set CABLECARE_AUTH=off only for tests of other things"
        )
    return TokenRules(
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        key_delay=timedelta(seconds=settings.auth_key_delay_seconds),
        services=load_services(settings.auth_services_path),
        staff_claim=settings.auth_staff_claim,
    )


def _first(args: Any) -> Any:
    return args[0] if args else None


class _Inbound(WorkflowInboundInterceptor):
    gate: IdentityGate  # set on the subclass that ActorInterceptor builds per worker

    def _op(self, name: str) -> str:
        return f"{workflow.info().workflow_type}.{name}"

    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        info = workflow.info()
        if info.continued_run_id is not None:  # the workflow's own continue-as-new
            return await super().execute_workflow(input)
        try:
            verdict = self.gate.judge(self._op("start"), input.headers, _first(input.args))
        except ArchiveStale as stale:
            raise RuntimeError(f"{stale}; the workflow task will be retried") from None
        if verdict.refusal is not None:
            workflow.logger.warning("start refused: %s", verdict.refusal)
            raise ApplicationError(verdict.refusal, type=REFUSED, non_retryable=True)
        token = set_verdict(verdict)
        try:
            return await super().execute_workflow(input)
        finally:
            reset_verdict(token)

    def handle_update_validator(self, input: HandleUpdateInput) -> None:
        try:
            verdict = self.gate.judge(self._op(input.update), input.headers, _first(input.args))
        except ArchiveStale:
            raise ApplicationError(
                "this worker is refreshing its signing keys; send the message again",
                type="RetryLater",
            ) from None
        if verdict.refusal is not None:
            raise ApplicationError(verdict.refusal, type=REFUSED, non_retryable=True)
        token = set_verdict(verdict)
        try:
            super().handle_update_validator(input)
        finally:
            reset_verdict(token)

    async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
        try:
            verdict = self.gate.judge(self._op(input.update), input.headers, _first(input.args))
        except ArchiveStale as stale:
            raise RuntimeError(f"{stale}; the workflow task will be retried") from None
        if verdict.refusal is not None:  # only if the validator did not run: refuse the same
            raise ApplicationError(verdict.refusal, type=REFUSED, non_retryable=True)
        token = set_verdict(verdict)
        try:
            return await super().handle_update_handler(input)
        finally:
            reset_verdict(token)

    async def handle_signal(self, input: HandleSignalInput) -> None:
        operation = self._op(input.signal)
        try:
            verdict = self.gate.judge(operation, input.headers, _first(input.args))
        except ArchiveStale as stale:
            raise RuntimeError(f"{stale}; the workflow task will be retried") from None
        rule = rule_for(operation)
        if verdict.refusal is not None and not (rule is not None and rule.records_refusals):
            workflow.logger.warning("signal %s dropped: %s", input.signal, verdict.refusal)
            return
        token = set_verdict(verdict)
        try:
            await super().handle_signal(input)
        finally:
            reset_verdict(token)


class ActorInterceptor(Interceptor):
    """Installed by `build_worker` on every worker (with auth off it only marks messages)."""

    def __init__(self, gate: IdentityGate) -> None:
        self.gate = gate

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        return type("ActorInbound", (_Inbound,), {"gate": self.gate})
