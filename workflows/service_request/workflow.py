"""`ServiceRequest`: one durable workflow per customer request (docs/contract.md, R2-R9).

The workflow is the thin Temporal shell around the pure case logic: validators refuse
(rules.py), handlers change state (transitions.py), the main loop waits for the next deadline
(deadlines.py) and performs the outside effects through idempotent activities.
"""

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    import cablecare.failures as failures

    # Full module paths: `from package import module` bypasses the pass-through inside the
    # sandbox and re-imports (and, without .pyc files, re-compiles) the module per workflow.
    import workflows.service_request.deadlines as deadlines
    import workflows.service_request.intake as intake
    import workflows.service_request.observe as observe
    import workflows.service_request.rules as rules
    import workflows.service_request.transitions as transitions
    from activities.case_activities import CaseActivities
    from activities.case_records import CaseRecordActivities
    from activities.notifications import (
        NotificationActivities,
        SendNotificationsInput,
    )
    from cablecare.auth.actor import Verdict, current_verdict
    from workflows.service_request.activity_io import (
        DeadlineInput,
        OpenAccountabilityInput,
        PrepareCaseInput,
    )
    from workflows.service_request.case import Case, CaseData, new_case
    from workflows.service_request.messages import (
        WORKFLOW_NAME,
        ProgressSignal,
        ResolveSignal,
        ServiceRequestInput,
        TechnicianSignal,
        UnreachableSignal,
        VisitSignal,
    )
    from workflows.service_request.observe import (
        record_case_input,
        search_attributes,
        ui_details,
        work_order,
    )
    from workflows.service_request.state import (
        CustomerReferral,
        CustomerView,
        ServiceRequestSnapshot,
    )
    from workflows.service_request.updates import UpdateHandlers

U = TypeVar("U")
# Continue-as-new well before Temporal's 10,240-event warning, to keep replays fast.
CONTINUE_AS_NEW_AFTER_EVENTS = 1_000
# Messages that arrived while the loop flushed were left unsynced until the next message.
PATCH_SYNC_LATE_MESSAGES = "sync-messages-that-arrive-during-a-flush"
# Effects (records, messages, accountability cases) by a regular activity whose input is part
# of committed history, instead of local activities inside a task the server may discard.
PATCH_COMMITTED_EFFECTS = "effects-from-committed-history"
# The accountability cases of a flush are opened by a second regular activity after
# `record_case` (issue 15): the supervisor's breach message is in the outbox as soon as the
# rows are committed, without waiting for the server to start the accountability workflows.
PATCH_ACCOUNTABILITY_APART = "accountability-cases-after-the-records"
# A case started since issue 15 records this one marker for all three patches above: each
# patch marker is an event and, with it, an upsert of TemporalChangeVersion (a visibility
# write on the server), three of each per case. Histories recorded before it carry the
# individual markers and replay by them (tests/test_replay.py).
PATCH_ALL_OF_2026_12 = "service-request-2026-12"
_LOCAL_TIMEOUT = timedelta(seconds=30)
# Local activities only read and compute (intake, deadline): nothing to undo if their task is
# discarded. They retry until the database answers again.
_LOCAL_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30))
# The records activity retries until the database answers again: nothing decided is lost.
# One flush is one short transaction (SQLite waits at most 10 s for its lock), so an attempt
# lost with a dead worker is given up after 20 s and retried on another: the rows are keyed on
# committed content, so a slow first attempt that still commits changes nothing.
_RECORD_TIMEOUT = timedelta(seconds=20)
_RECORD_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30))


async def _local(activity: Any, arg: Any, summary: str) -> Any:
    return await workflow.execute_local_activity_method(
        activity,
        arg,
        summary=summary,
        start_to_close_timeout=_LOCAL_TIMEOUT,
        retry_policy=_LOCAL_RETRY,
    )


_SIGNAL = TypeAdapter(TechnicianSignal)
# Intake failures whose own type a caller may act on; any other is IntakeRefused.
_INTAKE_TYPES_KEPT = {
    failures.ErrorType.INVALID_INPUT.value,
    failures.ErrorType.DUPLICATE_REQUEST.value,
}


@workflow.defn(name=WORKFLOW_NAME)
class ServiceRequest(UpdateHandlers):
    def __init__(self) -> None:
        self._case: Case | None = None
        self._dirty = False
        # Signals that arrived during intake, each with its sender's verdict (worker/identity.py)
        self._early_signals: list[tuple[Any, Verdict | None]] = []
        self._clock_lock = asyncio.Lock()
        self._sa_sent: dict[str, Any] = {}
        self._failed: str | None = None  # why the case failed, for the status query (13.5)
        self._committed_effects = True
        self._accountability_apart = True

    # --- lifecycle ------------------------------------------------------------------------
    @workflow.run
    async def run(
        self, data: ServiceRequestInput, carried: CaseData | None = None
    ) -> ServiceRequestSnapshot:
        # The SDK applies type hints only when the argument count matches them, so a start
        # with one argument (every caller) arrives as plain JSON: validate it here. A payload
        # that fails fails the workflow with the field list (worker failure_exception_types).
        try:
            data = ServiceRequestInput.model_validate(data)
        except ValidationError as err:  # field by field, without the values (13.5)
            reason = f"invalid start input: {failures.describe_validation(err)}"
            raise self._fail(reason, failures.ErrorType.INVALID_INPUT.value) from None
        # Asked first, before any local activity: a patch marker recorded after a local
        # activity can land in the next workflow task (task heartbeat), and a replay that
        # resolves the activity earlier then asks too soon: a nondeterminism error.
        if workflow.patched(PATCH_ALL_OF_2026_12):
            resync = self._committed_effects = self._accountability_apart = True
        else:
            resync = workflow.patched(PATCH_SYNC_LATE_MESSAGES)
            self._committed_effects = workflow.patched(PATCH_COMMITTED_EFFECTS)
            self._accountability_apart = workflow.patched(PATCH_ACCOUNTABILITY_APART)
        carried = CaseData.model_validate(carried) if carried is not None else None
        # Set by the workflow, not the starter: every client's cases read in the UI (not a
        # command, so older histories replay unchanged).
        workflow.set_current_details(observe.intake_details(data))
        if carried is not None:
            carried.runs += 1
            self._case = Case(carried)
        else:
            self._case = new_case(data, await self._prepare(data), workflow.now())
            _stamp(self._case, 0, current_verdict())  # who started it (issue 10)
        # Issue 9.4: an imported request's deadlines that passed before intake open no
        # accountability; only the first pass of a new case can fire such deadlines.
        waive_at_intake = carried is None and data.imported
        for payload, verdict in self._early_signals:
            self._technician_update(payload, verdict)
        self._early_signals.clear()
        case = self._case
        timer = _DeadlineTimer()
        while True:
            if resync:
                # Cleared *before* the flush: a message handled while the flush awaits its
                # activities sets it again, so the loop comes straight back to record it and
                # send its notifications instead of leaving them until the next message.
                self._dirty = False
            if case.needs_clock():
                await self._start_clock()
            escalations_before = len(case.snap.escalations)
            deadlines.fire_due(case, workflow.now())
            if waive_at_intake:
                intake.waive_lost_time(case, escalations_before, workflow.now())
                waive_at_intake = False
            await self._flush()
            # A message that arrived while the flush awaited its activity (say, the cancel
            # that made the case final) is flushed on the next pass before the run ends.
            late = self._committed_effects and self._dirty
            if case.final and workflow.all_handlers_finished() and not late:
                break
            if self._history_is_long():
                # Bounded history: carry the state into a fresh run once every handler is done,
                # so no accepted update or signal is lost across it.
                await workflow.wait_condition(workflow.all_handlers_finished)
                await self._flush()
                workflow.continue_as_new(args=[data, case.data])
            timer.aim(deadlines.next_deadline(case))
            if not resync:  # histories recorded before the patch cleared it here
                self._dirty = False
            await workflow.wait_condition(lambda: self._dirty or timer.fired())
        return case.snap

    async def _prepare(self, data: ServiceRequestInput) -> Any:
        info = workflow.info()
        try:
            return await _local(
                CaseActivities.prepare_case,
                PrepareCaseInput(
                    request_id=data.request_id,
                    subscriber_id=data.subscriber_id,
                    received_by=data.received_by,
                    started_at=workflow.now(),
                    received_at=data.received_at,
                    imported=data.imported,
                    workflow_id=info.workflow_id,
                    first_run_id=info.first_execution_run_id,
                ),
                "intake: directory and policy",
            )
        except (ActivityError, ApplicationError) as err:
            # Unknown subscriber or staff, received_at out of bounds (9.4), a request id that
            # already has a case (9.5): fail the workflow at once with the plain reason. (A
            # local activity's final failure can arrive unwrapped, as the ApplicationError.)
            cause = err.cause if isinstance(err, ActivityError) else err
            message = cause.message if isinstance(cause, ApplicationError) else str(err)
            kind = cause.type if isinstance(cause, ApplicationError) else None
            if kind not in _INTAKE_TYPES_KEPT:
                kind = failures.ErrorType.INTAKE_REFUSED.value
            raise self._fail(message, kind) from None

    def _fail(self, message: str, kind: str | None) -> ApplicationError:
        """The workflow's failure: non-retryable, typed, and remembered for `status`."""
        self._failed = message
        return ApplicationError(message, type=kind, non_retryable=True)

    def _history_is_long(self) -> bool:
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() > CONTINUE_AS_NEW_AFTER_EVENTS
        )

    async def _start_clock(self) -> None:
        """R4.1: the deadline is computed once per clock start by an activity, so replay and
        later policy or calendar changes never move it."""
        case = self._case
        assert case is not None
        async with self._clock_lock:
            if not case.needs_clock():
                return
            s, policy = case.snap, case.ctx.policy
            limit = policy.time_limit(s.kind, s.severity, case.ctx.setting)
            start = case.data.clock_start_hint or workflow.now()
            case.data.clock_start_hint = None
            try:
                result = await _local(
                    CaseActivities.compute_deadline,
                    DeadlineInput(limit=limit, timezone=policy.timezone, start=start),
                    limit.label,
                )
            except (ActivityError, ApplicationError) as err:
                # Issue 9.4: a deadline that cannot be computed fails the case with the
                # reason instead of retrying for ever (the activity says it is final).
                cause = err.cause if isinstance(err, ActivityError) else err
                if isinstance(cause, ApplicationError) and cause.non_retryable:
                    raise self._fail(cause.message, cause.type) from None
                raise
            transitions.start_clock(case, start, result.due_at)
            self._dirty = True

    async def _flush(self) -> None:
        """Perform what the case recorded: records, messages, accountability cases."""
        case = self._case
        assert case is not None
        if self._committed_effects:
            await self._record()
        else:
            await self._flush_by_local_activities()
        attrs = search_attributes(case, self._sa_sent)
        if attrs:
            workflow.upsert_search_attributes(attrs)
        workflow.set_current_details(ui_details(case))

    async def _record(self) -> None:
        """One regular activity per flush: everything new since the last one, as committed.

        Whatever arrives while it runs stays in the case (its outbox, its accountability list,
        the timeline past `upto`) and goes with the next flush."""
        case = self._case
        assert case is not None
        d = case.data
        upto, esc_upto, cb_upto = d.step, len(case.snap.escalations), len(case.snap.callbacks)
        if upto == d.synced_step and not d.outbox and not d.accountability:
            return
        notifications, d.outbox = d.outbox, []
        opened, d.accountability = d.accountability, []
        apart = self._accountability_apart and bool(opened)
        batch = record_case_input(
            case, workflow.info().workflow_id, upto, notifications, [] if apart else opened
        )
        await workflow.execute_activity_method(
            CaseRecordActivities.record_case,
            batch,
            summary=f"record: {len(batch.events)} events, {len(notifications)} messages",
            start_to_close_timeout=_RECORD_TIMEOUT,
            retry_policy=_RECORD_RETRY,
        )
        d.synced_step, d.synced_escalations, d.synced_callbacks = upto, esc_upto, cb_upto
        if apart:
            # After the records are committed, as in `record_case`; from committed history too.
            await workflow.execute_activity_method(
                CaseActivities.open_accountability,
                OpenAccountabilityInput(cases=opened),
                summary=f"open {len(opened)} accountability case(s)",
                start_to_close_timeout=_RECORD_TIMEOUT,
                retry_policy=_RECORD_RETRY,
            )

    async def _flush_by_local_activities(self) -> None:
        """Cases started before PATCH_COMMITTED_EFFECTS finish the way they began."""
        case = self._case
        assert case is not None
        d = case.data
        opened, d.accountability = d.accountability, []
        if opened:
            await _local(
                CaseActivities.open_accountability,
                OpenAccountabilityInput(cases=opened),
                "open accountability case",
            )
        outgoing, d.outbox = d.outbox, []
        if outgoing:
            await _local(
                NotificationActivities.send_notifications,
                SendNotificationsInput(notifications=outgoing),
                "notifications",
            )
        upto, esc_upto, cb_upto = d.step, len(case.snap.escalations), len(case.snap.callbacks)
        if upto > d.synced_step:
            await _local(
                CaseActivities.sync_case,
                work_order(case, workflow.info().workflow_id, upto),
                "record case",
            )
            d.synced_step, d.synced_escalations, d.synced_callbacks = upto, esc_upto, cb_upto

    # --- queries --------------------------------------------------------------------------
    @workflow.query(name="status")
    def status(self) -> ServiceRequestSnapshot:
        if self._case is None:
            if self._failed is not None:  # issue 13.5: say that it failed, and why
                raise ApplicationError(f"the request was not registered: {self._failed}")
            raise ApplicationError("the request is still being registered")
        return self._case.snap

    @workflow.query(name="customer_view")
    def customer_view(self) -> CustomerView:
        """R4.8: state and dates only; no internal notes, no staff phones."""
        s = self.status()
        return CustomerView(
            request_id=s.request_id,
            kind=s.kind,
            state=s.state,
            received_at=s.received_at,
            missing_materials=s.missing_materials,
            due_at=s.clock.due_at,
            paused=s.clock.paused,
            visit_window_start=s.visit.window_start if s.visit else None,
            visit_window_end=s.visit.window_end if s.visit else None,
            resolved_at=s.resolved_at,
            technician_id=s.technician_id,
            # (二)9: where the case went, with the department's address and contact.
            referrals=[
                CustomerReferral(department=r.department, address=r.address, contact=r.contact)
                for r in s.referrals
            ],
            network_pending=s.network_pending,
        )

    # --- the technician_update signal -----------------------------------------------------
    @workflow.signal(name="technician_update")
    def technician_update(self, payload: Any) -> None:
        """Fire-and-forget from mobile backends. A bad signal is recorded as rejected, never
        applied, and never fails the workflow (docs/contract.md)."""
        self._technician_update(payload, current_verdict())

    def _technician_update(self, payload: Any, verdict: Verdict | None) -> None:
        case = self._case
        if case is None:
            self._early_signals.append((payload, verdict))
            return
        now = workflow.now()
        if verdict is not None and verdict.refusal is not None:
            # Issue 10: a signal whose sender is not verified as the person it names (a forged
            # technician_update) is recorded as rejected and never applied.
            case.log(
                now, "signal.rejected", detail=f"not authorised: {verdict.refusal}", rejected=True
            )
            self._dirty = True
            return
        before = case.data.step
        try:
            msg = _SIGNAL.validate_python(payload)
        except ValidationError as err:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'payload'}: {e['msg']}" for e in err.errors()
            )
            case.log(now, "signal.rejected", detail=f"invalid payload: {problems}", rejected=True)
            self._dirty = True
            return
        check, change = _SIGNAL_ACTIONS[type(msg)]
        try:
            check(case, msg, now)
        except ValueError as refusal:
            case.log(now, f"signal.{msg.type}.rejected", detail=str(refusal), rejected=True)
        else:
            change(case, now, msg)
        _stamp(case, before, verdict)
        self._dirty = True

    # --- updates --------------------------------------------------------------------------
    def _validate(self, check: Callable[[Case, U, Any], None], u: U) -> None:
        if self._case is not None:  # during intake the handler validates once intake is done
            try:
                check(self._case, u, workflow.now())
            except ValueError as err:  # a typed, non-retryable refusal (issue 9.7)
                raise failures.refusal(err) from None

    async def _apply(
        self, check: Callable[[Case, U, Any], None], change: Callable[[Case, Any, U], Any], u: U
    ) -> ServiceRequestSnapshot:
        await workflow.wait_condition(lambda: self._case is not None)
        case = self._case
        assert case is not None
        try:
            check(case, u, workflow.now())
        except ValueError as err:  # only reachable for updates that raced intake
            raise failures.refusal(err) from None
        before = case.data.step
        change(case, workflow.now(), u)
        _stamp(case, before, current_verdict())  # the verified sender (worker/identity.py)
        if case.needs_clock():  # materials completed (R4.1) or reopened by a callback (R5.2)
            await self._start_clock()
        self._dirty = True
        return case.snap


def _stamp(case: Case, since: int, verdict: Verdict | None) -> None:
    """Issue 10: the timeline entries a message caused carry its verified actor (staff id and
    token id, never the token), so the database rows trace each decision to its sender."""
    actor = verdict.actor if verdict is not None else None
    if actor is None:
        return
    for entry in reversed(case.snap.timeline):
        if entry.seq <= since:
            break
        entry.actor_id, entry.actor_token_id = actor.staff_id, actor.token_id


class _DeadlineTimer:
    """One durable timer aimed at the case's next deadline. It is replaced only when the
    deadline moves, so updates that do not touch a deadline cost no timer events."""

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None
        self._target: deadlines.Deadline | None = None

    def aim(self, target: deadlines.Deadline | None) -> None:
        if target == self._target and self._task is not None and not self._task.done():
            return
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task, self._target = None, target
        if target is not None:
            delay = max(target.at - workflow.now(), timedelta(seconds=1))
            self._task = asyncio.create_task(workflow.sleep(delay, summary=target.summary))

    def fired(self) -> bool:
        return self._task is not None and self._task.done()


_SIGNAL_ACTIONS: dict[type, tuple[Callable[..., None], Callable[..., Any]]] = {
    ProgressSignal: (rules.report_progress, transitions.report_progress),
    VisitSignal: (rules.schedule_visit, transitions.schedule_visit),
    ResolveSignal: (rules.resolve, transitions.resolve),
    UnreachableSignal: (rules.report_unreachable, transitions.report_unreachable),
}
