"""`MaintenanceNotice` (docs/contract.md, R9.5): every subscriber of the areas is told in time.

The workflow sleeps until the notice time (starts_at minus the policy's lead time, 24 h by
default, minus one hour of sending slack) and then tells every subscriber by SMS and every area
by TV caption; a plan made between 24 h and 25 h ahead is therefore announced at once. At the
start it sends a reminder. A `change` notifies again under a new revision, a `cancel` notifies
the cancellation. A plan with less lead time fails at once unless a leader approved the
emergency.

Delivery pages through the subscribers inside one heartbeating activity per phase, so the
history stays a few dozen events however large the areas are.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    import workflows.maintenance.plan as plan  # full path: passed through (see tests/reliability)
    from activities.maintenance_activities import MaintenanceActivities
    from cablecare.failures import ErrorType, NotReady, refusals
    from workflows.maintenance.activity_io import (
        DeliverInput,
        PrepareMaintenanceInput,
        PrepareMaintenanceResult,
        RecordMaintenanceInput,
    )
    from workflows.maintenance.messages import (
        QUERY_STATUS,
        WORKFLOW_NAME,
        CancelUpdate,
        ChangeUpdate,
        Delivery,
        MaintenanceNoticeInput,
        MaintenanceNoticeStatus,
        NoticeState,
        Phase,
        Update,
    )
    from workflows.maintenance.wording import details_text

# The notice row by a regular activity, from committed history (issue 9).
PATCH_COMMITTED_RECORDS = "maintenance-records-from-committed-history"
LOCAL_TIMEOUT = timedelta(seconds=30)
LOCAL_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30))
# A large area is thousands of messages: the activity heartbeats its page cursor and resumes
# from it after a worker restart; the outbox keys make a re-sent page a no-op.
DELIVERY_TIMEOUT = timedelta(hours=2)
# A page of 1,000 takes about a second even under load (BENCHMARKS.md), so a dead worker's
# attempt is given up after 30 s and another worker resumes the delivery from the cursor.
DELIVERY_HEARTBEAT = timedelta(seconds=30)
DELIVERY_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=5))


@workflow.defn(name=WORKFLOW_NAME)
class MaintenanceNotice:
    @workflow.init
    def __init__(self, data: MaintenanceNoticeInput) -> None:
        self._status = MaintenanceNoticeStatus(
            notice_id=data.notice_id,
            kind=data.kind,
            area_ids=list(data.area_ids),
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            text=data.text,
            emergency_approved_by=data.emergency_approved_by,
        )
        self._leaders: list[str] | None = None  # set once planning is done
        self._version = 0  # bumped by every accepted change or cancel
        self._committed_records = True

    @workflow.run
    async def run(self, data: MaintenanceNoticeInput) -> MaintenanceNoticeStatus:
        s = self._status
        # Asked before the first local activity (see ServiceRequest.run for why).
        self._committed_records = workflow.patched(PATCH_COMMITTED_RECORDS)
        prepared = await self._prepare(data)
        now = workflow.now()
        try:
            plan.check_lead_time(
                s.starts_at,
                s.ends_at,
                now,
                prepared.notice_hours,
                data.emergency_approved_by,
                zone=prepared.timezone,
            )
        except ValueError as refusal:
            raise ApplicationError(
                str(refusal), type=ErrorType.LATE_NOTICE.value, non_retryable=True
            ) from None
        s.notice_hours, s.subscribers = prepared.notice_hours, prepared.subscribers
        s.timezone = prepared.timezone
        s.notice_due_at = max(plan.notice_due_at(s.starts_at, s.notice_hours), now)
        self._leaders = prepared.leaders
        await self._record()
        while s.state not in (NoticeState.CANCELLED, NoticeState.COMPLETED):
            step, at, summary = plan.next_step(s)
            version = self._version
            if at is not None and at > workflow.now():
                try:
                    await workflow.wait_condition(
                        self._changed_since(version),
                        timeout=at - workflow.now(),
                        timeout_summary=summary,
                    )
                    await self._record()
                    continue  # changed or cancelled meanwhile: decide again
                except TimeoutError:
                    pass
            await self._perform(step)
            await self._record()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return s

    def _changed_since(self, version: int) -> Callable[[], bool]:
        return lambda: self._version != version

    async def _prepare(self, data: MaintenanceNoticeInput) -> PrepareMaintenanceResult:
        try:
            return await workflow.execute_local_activity_method(
                MaintenanceActivities.prepare_maintenance,
                PrepareMaintenanceInput(notice=data),
                summary="planning: areas, lead time, leaders",
                start_to_close_timeout=LOCAL_TIMEOUT,
                retry_policy=LOCAL_RETRY,
            )
        except ActivityError as err:
            cause = err.cause
            if isinstance(cause, ApplicationError) and cause.non_retryable:
                raise ApplicationError(cause.message, type=cause.type, non_retryable=True) from err
            raise

    async def _perform(self, step: plan.Step) -> None:
        s = self._status
        if step == plan.Step.CANCEL:
            if s.notified_revision:  # nobody was told yet: nobody needs to be un-told
                await self._deliver(Phase.CANCEL, "maintenance_cancelled")
            s.state = NoticeState.CANCELLED
        elif step == plan.Step.NOTICE:
            await self._deliver(Phase.NOTICE, plan.notice_template(s))
            s.notified_revision = s.revision
            s.state = NoticeState.IN_PROGRESS if s.started else NoticeState.NOTIFIED
        elif step == plan.Step.START:
            await self._deliver(Phase.START, "maintenance_start")
            s.started, s.state = True, NoticeState.IN_PROGRESS
        else:
            s.state = NoticeState.COMPLETED

    async def _deliver(self, phase: Phase, template: str) -> None:
        s = self._status
        result = await workflow.execute_activity_method(
            MaintenanceActivities.deliver_maintenance,
            DeliverInput(
                workflow_id=workflow.info().workflow_id,
                notice_id=s.notice_id,
                revision=s.revision,
                phase=phase,
                template=template,
                kind=s.kind,
                area_ids=s.area_ids,
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                text=s.text,
                reason=s.cancel_reason or "",
            ),
            summary=f"{phase.value} r{s.revision}: SMS to every subscriber, caption per area",
            start_to_close_timeout=DELIVERY_TIMEOUT,
            heartbeat_timeout=DELIVERY_HEARTBEAT,
            retry_policy=DELIVERY_RETRY,
        )
        s.deliveries.append(
            Delivery(
                revision=s.revision,
                phase=phase,
                template=template,
                at=workflow.now(),
                subscribers=result.subscribers,
                captions=result.captions,
            )
        )

    async def _record(self) -> None:
        workflow.set_current_details(details_text(self._status))
        record = RecordMaintenanceInput(
            workflow_id=workflow.info().workflow_id, status=self._status, at=workflow.now()
        )
        if not self._committed_records:  # notices planned before the patch
            await workflow.execute_local_activity_method(
                MaintenanceActivities.record_maintenance,
                record,
                summary="record notice",
                start_to_close_timeout=LOCAL_TIMEOUT,
                retry_policy=LOCAL_RETRY,
            )
            return
        # A regular activity: its input is committed with the decision, so the row never
        # shows a change or cancel from a workflow task that the server discarded.
        await workflow.execute_activity_method(
            MaintenanceActivities.record_maintenance,
            record,
            summary=f"record notice r{self._status.revision}: {self._status.state.value}",
            start_to_close_timeout=LOCAL_TIMEOUT,
            retry_policy=LOCAL_RETRY,
        )

    # --- queries and updates ---------------------------------------------------------------
    @workflow.query(name=QUERY_STATUS)
    def status(self) -> MaintenanceNoticeStatus:
        return self._status

    @workflow.update(name=Update.CHANGE)
    async def change(self, u: ChangeUpdate) -> MaintenanceNoticeStatus:
        plan.apply_change(self._status, u, workflow.now())
        self._version += 1  # the main loop records it and notifies the new revision
        return self._status

    @change.validator
    @refusals
    def _check_change(self, u: ChangeUpdate) -> None:
        if self._leaders is None:
            raise NotReady("the notice is still being planned; try again in a moment")
        plan.check_change(self._status, u, workflow.now(), self._leaders)

    @workflow.update(name=Update.CANCEL)
    async def cancel(self, u: CancelUpdate) -> MaintenanceNoticeStatus:
        s = self._status
        s.cancel_requested, s.cancelled_by, s.cancel_reason = True, u.by, u.reason
        self._version += 1
        return s

    @cancel.validator
    @refusals
    def _check_cancel(self, u: CancelUpdate) -> None:
        if self._leaders is None:
            raise NotReady("the notice is still being planned; try again in a moment")
        plan.check_cancel(self._status, u)
