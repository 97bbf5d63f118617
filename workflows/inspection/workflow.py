"""Inspection ((七)2b/2d/2e, (四)2, (五)5): findings, correction deadlines, verification and
escalation of what was not corrected.

Each finding gets a correction deadline (durable: a timer in this workflow, not a cron job).
A correction reported before the deadline is verified by the inspector or a supervisor; one
not reported by then, or rejected after it, escalates to the branch's and the province's
supervisors and, per the policy, opens an accountability case against the responsible person
(R7.2: persuasion failed, the violation goes to R6).

Every database write and notification is a regular activity keyed on the workflow id plus the
finding id and the step's name (issue 9): nothing comes from a task the server discards.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.supervision.inspection_activities import InspectionActivities
    from workflows.inspection.activity_io import (
        EscalateFindingInput,
        FindingStepInput,
        InspectionStateInput,
        OpenInspectionInput,
    )
    from workflows.inspection.messages import (
        QUERY_STATUS,
        UPDATE_COMPLETE,
        UPDATE_RECORD_FINDING,
        UPDATE_REPORT_CORRECTION,
        UPDATE_VERIFY_CORRECTION,
        WORKFLOW_NAME,
        CompleteUpdate,
        Finding,
        FindingState,
        InspectionContext,
        InspectionInput,
        InspectionSnapshot,
        InspectionState,
        RecordFindingUpdate,
        ReportCorrectionUpdate,
        VerifyCorrectionUpdate,
    )

    # Functions, not the module: `from package import module` re-imports it per sandbox.
    from workflows.inspection.rules import complete as check_complete
    from workflows.inspection.rules import record_finding as check_record_finding
    from workflows.inspection.rules import report_correction as check_report_correction
    from workflows.inspection.rules import verify_correction as check_verify_correction

TIMEOUT = timedelta(seconds=60)
RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1))
FINAL = (FindingState.VERIFIED, FindingState.ESCALATED)


@workflow.defn(name=WORKFLOW_NAME)
class Inspection:
    @workflow.init
    def __init__(self, data: InspectionInput) -> None:
        self._data = data
        self._ctx: InspectionContext | None = None
        self._wake = False
        self._snap = InspectionSnapshot(
            inspection_id=data.inspection_id, kind=data.kind, inspector_id=data.inspector_id,
            target_kind=data.target_kind, target_id=data.target_id, branch_id=data.branch_id,
            period=data.period, planned_for=data.planned_for, state=InspectionState.PLANNED,
        )  # fmt: skip

    @workflow.run
    async def run(self, data: InspectionInput) -> InspectionSnapshot:
        self._ctx = await workflow.execute_activity_method(
            InspectionActivities.open_inspection,
            OpenInspectionInput(workflow_id=workflow.info().workflow_id, inspection=data),
            summary="record the plan; read the checklist and the supervisors",
            start_to_close_timeout=TIMEOUT,
            retry_policy=RETRY,
        )
        wanted = set(data.checklist)
        self._snap.checklist = [c for c in self._ctx.checklist if not wanted or c.code in wanted]
        self._show()
        while not self._all_done():
            await self._wait_for_next_deadline()
            await self._escalate_overdue()
        self._snap.state = InspectionState.CLOSED
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._record_state()
        self._show()
        return self._snap

    # --- the correction deadlines -----------------------------------------------------------
    def _all_done(self) -> bool:
        s = self._snap
        return s.state == InspectionState.COMPLETED and all(f.state in FINAL for f in s.findings)

    def _next_due(self) -> datetime | None:
        open_ = [f.due_at for f in self._snap.findings if f.state == FindingState.OPEN]
        return min(open_) if open_ else None

    async def _wait_for_next_deadline(self) -> None:
        self._wake = False
        due = self._next_due()
        if due is not None and due <= workflow.now():
            return
        try:
            await workflow.wait_condition(
                lambda: self._wake,
                timeout=None if due is None else due - workflow.now(),
                timeout_summary="(七)3 correction deadline of the earliest open finding",
            )
        except TimeoutError:
            pass

    async def _escalate_overdue(self) -> None:
        """(七)2e a finding still open at its deadline escalates (R7.2 -> R6)."""
        now = workflow.now()
        ctx = self._ctx
        assert ctx is not None
        for f in self._snap.findings:
            if f.state != FindingState.OPEN or f.due_at > now:
                continue
            f.state, f.escalated_at = FindingState.ESCALATED, now
            opens = ctx.opens_accountability and f.responsible_staff_id is not None
            result = await workflow.execute_activity_method(
                InspectionActivities.escalate_finding,
                EscalateFindingInput(
                    workflow_id=workflow.info().workflow_id,
                    inspection=self._data,
                    finding=f,
                    supervisors=ctx.supervisors,
                    open_accountability=opens,
                ),  # fmt: skip
                summary=f"escalate finding {f.finding_id}: not corrected by its deadline",
                start_to_close_timeout=TIMEOUT,
                retry_policy=RETRY,
            )
            f.accountability_case_id = result
        self._show()

    # --- updates ----------------------------------------------------------------------------
    @workflow.update(name=UPDATE_RECORD_FINDING)
    async def record_finding(self, u: RecordFindingUpdate) -> InspectionSnapshot:
        ctx = await self._checked(check_record_finding, u)
        now = workflow.now()
        item = next(c for c in self._snap.checklist if c.code == u.item)
        finding = Finding(
            finding_id=u.finding_id, item=u.item, system=item.system, description=u.description,
            responsible_staff_id=u.responsible_staff_id, recorded_by=u.by, recorded_at=now,
            due_at=now + timedelta(days=ctx.correction_days),
        )  # fmt: skip
        self._snap.findings.append(finding)
        self._wake = True
        told = [u.responsible_staff_id] if u.responsible_staff_id else []
        await self._step(finding, "recorded", u.by, told)
        return self._snap

    @record_finding.validator
    def _v_record_finding(self, u: RecordFindingUpdate) -> None:
        check_record_finding(self._snap, self._ctx, u)

    @workflow.update(name=UPDATE_REPORT_CORRECTION)
    async def report_correction(self, u: ReportCorrectionUpdate) -> InspectionSnapshot:
        f = self._find(u.finding_id)
        f.state, f.corrected_at, f.correction_note = FindingState.CORRECTED, workflow.now(), u.note
        self._wake = True
        await self._step(f, f"corrected-{f.rejections}", u.by, [f.recorded_by])
        return self._snap

    @report_correction.validator
    def _v_report_correction(self, u: ReportCorrectionUpdate) -> None:
        check_report_correction(self._snap, self._ctx, u)

    @workflow.update(name=UPDATE_VERIFY_CORRECTION)
    async def verify_correction(self, u: VerifyCorrectionUpdate) -> InspectionSnapshot:
        await self._checked(check_verify_correction, u)
        f = self._find(u.finding_id)
        if u.accepted:
            f.state, f.verified_at, f.verified_by = FindingState.VERIFIED, workflow.now(), u.by
            step = "verified"
        else:
            # Back to open: past its deadline it escalates at once (the loop wakes up).
            f.rejections += 1
            f.state, f.corrected_at = FindingState.OPEN, None
            step = f"rejected-{f.rejections}"
        self._wake = True
        told = [f.responsible_staff_id] if f.responsible_staff_id else []
        await self._step(f, step, u.by, told)
        return self._snap

    @verify_correction.validator
    def _v_verify_correction(self, u: VerifyCorrectionUpdate) -> None:
        check_verify_correction(self._snap, self._ctx, u)

    @workflow.update(name=UPDATE_COMPLETE)
    async def complete(self, u: CompleteUpdate) -> InspectionSnapshot:
        await self._checked(check_complete, u)
        self._snap.state, self._snap.completed_at = InspectionState.COMPLETED, workflow.now()
        self._wake = True
        await self._record_state()
        return self._snap

    @complete.validator
    def _v_complete(self, u: CompleteUpdate) -> None:
        check_complete(self._snap, self._ctx, u)

    @workflow.query(name=QUERY_STATUS)
    def status(self) -> InspectionSnapshot:
        return self._snap

    # --- helpers ----------------------------------------------------------------------------
    async def _checked(self, rule: Callable[..., None], u: Any) -> InspectionContext:
        """An update accepted while the context was still being read is checked again once
        it is there; normally the validator already did this and nothing changes."""
        await workflow.wait_condition(lambda: self._ctx is not None)
        assert self._ctx is not None
        try:
            rule(self._snap, self._ctx, u)
        except ValueError as exc:
            raise ApplicationError(str(exc), type="Refused", non_retryable=True) from None
        return self._ctx

    def _find(self, finding_id: str) -> Finding:
        return next(f for f in self._snap.findings if f.finding_id == finding_id)

    async def _step(self, f: Finding, step: str, by: str, notify: list[str]) -> None:
        await workflow.execute_activity_method(
            InspectionActivities.record_finding_step,
            FindingStepInput(
                workflow_id=workflow.info().workflow_id,
                inspection=self._data,
                finding=f.model_copy(),
                step=step,
                by=by,
                at=workflow.now(),
                notify=notify,
            ),  # fmt: skip
            summary=f"finding {f.finding_id}: {step}",
            start_to_close_timeout=TIMEOUT,
            retry_policy=RETRY,
        )
        self._show()

    async def _record_state(self) -> None:
        await workflow.execute_activity_method(
            InspectionActivities.record_inspection_state,
            InspectionStateInput(
                workflow_id=workflow.info().workflow_id, snapshot=self._snap, at=workflow.now()
            ),
            summary=f"inspection {self._snap.state.value}",
            start_to_close_timeout=TIMEOUT,
            retry_policy=RETRY,
        )

    def _show(self) -> None:
        s = self._snap
        open_ = sum(1 for f in s.findings if f.state == FindingState.OPEN)
        due = self._next_due()
        workflow.set_current_details(
            f"**{s.kind.value} inspection** of {s.target_kind.value} {s.target_id} "
            f"(branch {s.branch_id}, {s.period}): {s.state.value}; {len(s.findings)} finding(s), "
            f"{open_} open" + (f", next correction deadline {due.isoformat()}" if due else "")
        )
