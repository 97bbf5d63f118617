"""The updates of docs/contract.md, each a validator (rules.py) and a state change (transitions.py).

Validators run before anything is written to history, so a refused update leaves no trace.
Mixed into `ServiceRequest`, which provides `_validate` and `_apply`.
"""

from collections.abc import Callable
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    # Full module paths, so that they are passed through (tests/reliability/test_sandbox_imports.py)
    import workflows.service_request.rules as rules
    import workflows.service_request.transitions as transitions
    from workflows.service_request.case import Case
    from workflows.service_request.messages import (
        AcknowledgeUpdate,
        AnswerLeadershipUpdate,
        AssignUpdate,
        CancelUpdate,
        DecideExtensionUpdate,
        ForceMajeureUpdate,
        NetworkBuiltUpdate,
        RecordCallbackUpdate,
        RecordTrackingUpdate,
        ReferUpdate,
        ReportProgressUpdate,
        ReportToLeaderUpdate,
        ReportUnreachableUpdate,
        RequestExtensionUpdate,
        ResolveUpdate,
        ScheduleVisitUpdate,
        SubmitMaterialsUpdate,
        Update,
    )
    from workflows.service_request.state import ServiceRequestSnapshot

Check = Callable[[Case, Any, Any], None]


class UpdateHandlers:
    def _validate(self, check: Check, u: Any) -> None:
        raise NotImplementedError

    async def _apply(
        self, check: Check, change: Callable[[Case, Any, Any], Any], u: Any
    ) -> ServiceRequestSnapshot:
        raise NotImplementedError

    @workflow.update(name=Update.SUBMIT_MATERIALS)
    async def submit_materials(self, u: SubmitMaterialsUpdate) -> ServiceRequestSnapshot:
        return await self._apply(rules.submit_materials, transitions.submit_materials, u)

    @submit_materials.validator
    def _v_submit_materials(self, u: SubmitMaterialsUpdate) -> None:
        self._validate(rules.submit_materials, u)

    @workflow.update(name=Update.ACKNOWLEDGE)
    async def acknowledge(self, u: AcknowledgeUpdate) -> ServiceRequestSnapshot:
        return await self._apply(rules.acknowledge, transitions.acknowledge, u)

    @acknowledge.validator
    def _v_acknowledge(self, u: AcknowledgeUpdate) -> None:
        self._validate(rules.acknowledge, u)

    @workflow.update(name=Update.REFER)
    async def refer(self, u: ReferUpdate) -> ServiceRequestSnapshot:
        return await self._apply(rules.refer, transitions.refer, u)

    @refer.validator
    def _v_refer(self, u: ReferUpdate) -> None:
        self._validate(rules.refer, u)

    @workflow.update(name=Update.ASSIGN)
    async def assign(self, u: AssignUpdate) -> ServiceRequestSnapshot:
        return await self._apply(rules.assign, _reassign, u)

    @assign.validator
    def _v_assign(self, u: AssignUpdate) -> None:
        self._validate(rules.assign, u)

    @workflow.update(name=Update.SCHEDULE_VISIT)
    async def schedule_visit(self, u: ScheduleVisitUpdate) -> ServiceRequestSnapshot:
        return await self._apply(rules.schedule_visit, transitions.schedule_visit, u)

    @schedule_visit.validator
    def _v_schedule_visit(self, u: ScheduleVisitUpdate) -> None:
        self._validate(rules.schedule_visit, u)

    @workflow.update(name=Update.REPORT_PROGRESS)
    async def report_progress(self, u: ReportProgressUpdate) -> ServiceRequestSnapshot:
        return await self._apply(rules.report_progress, transitions.report_progress, u)

    @report_progress.validator
    def _v_report_progress(self, u: ReportProgressUpdate) -> None:
        self._validate(rules.report_progress, u)

    @workflow.update(name=Update.RESOLVE)
    async def resolve(self, u: ResolveUpdate) -> ServiceRequestSnapshot:
        return await self._apply(rules.resolve, transitions.resolve, u)

    @resolve.validator
    def _v_resolve(self, u: ResolveUpdate) -> None:
        self._validate(rules.resolve, u)

    @workflow.update(name=Update.REPORT_UNREACHABLE)
    async def report_unreachable(self, u: ReportUnreachableUpdate) -> ServiceRequestSnapshot:
        return await self._apply(rules.report_unreachable, transitions.report_unreachable, u)

    @report_unreachable.validator
    def _v_report_unreachable(self, u: ReportUnreachableUpdate) -> None:
        self._validate(rules.report_unreachable, u)

    @workflow.update(name=Update.REQUEST_EXTENSION)
    async def request_extension(self, u: RequestExtensionUpdate) -> ServiceRequestSnapshot:
        return await self._apply(rules.request_extension, transitions.request_extension, u)

    @request_extension.validator
    def _v_request_extension(self, u: RequestExtensionUpdate) -> None:
        self._validate(rules.request_extension, u)

    @workflow.update(name=Update.DECIDE_EXTENSION)
    async def decide_extension(self, u: DecideExtensionUpdate) -> ServiceRequestSnapshot:
        return await self._apply(rules.decide_extension, transitions.decide_extension, u)

    @decide_extension.validator
    def _v_decide_extension(self, u: DecideExtensionUpdate) -> None:
        self._validate(rules.decide_extension, u)

    @workflow.update(name=Update.DECLARE_FORCE_MAJEURE)
    async def declare_force_majeure(self, u: ForceMajeureUpdate) -> ServiceRequestSnapshot:
        return await self._apply(rules.declare_force_majeure, transitions.declare_force_majeure, u)

    @declare_force_majeure.validator
    def _v_declare_force_majeure(self, u: ForceMajeureUpdate) -> None:
        self._validate(rules.declare_force_majeure, u)

    @workflow.update(name=Update.END_FORCE_MAJEURE)
    async def end_force_majeure(self, u: ForceMajeureUpdate) -> ServiceRequestSnapshot:
        return await self._apply(rules.end_force_majeure, transitions.end_force_majeure, u)

    @end_force_majeure.validator
    def _v_end_force_majeure(self, u: ForceMajeureUpdate) -> None:
        self._validate(rules.end_force_majeure, u)

    @workflow.update(name=Update.RECORD_CALLBACK)
    async def record_callback(self, u: RecordCallbackUpdate) -> ServiceRequestSnapshot:
        return await self._apply(rules.record_callback, transitions.record_callback, u)

    @record_callback.validator
    def _v_record_callback(self, u: RecordCallbackUpdate) -> None:
        self._validate(rules.record_callback, u)

    @workflow.update(name=Update.CANCEL)
    async def cancel(self, u: CancelUpdate) -> ServiceRequestSnapshot:
        return await self._apply(rules.cancel, transitions.cancel, u)

    @cancel.validator
    def _v_cancel(self, u: CancelUpdate) -> None:
        self._validate(rules.cancel, u)

    @workflow.update(name=Update.RECORD_TRACKING)
    async def record_tracking(self, u: RecordTrackingUpdate) -> ServiceRequestSnapshot:
        return await self._apply(rules.record_tracking, transitions.record_tracking, u)

    @record_tracking.validator
    def _v_record_tracking(self, u: RecordTrackingUpdate) -> None:
        self._validate(rules.record_tracking, u)

    @workflow.update(name=Update.REPORT_TO_LEADER)
    async def report_to_leader(self, u: ReportToLeaderUpdate) -> ServiceRequestSnapshot:
        return await self._apply(rules.report_to_leader, transitions.report_to_leader, u)

    @report_to_leader.validator
    def _v_report_to_leader(self, u: ReportToLeaderUpdate) -> None:
        self._validate(rules.report_to_leader, u)

    @workflow.update(name=Update.ANSWER_LEADERSHIP)
    async def answer_leadership(self, u: AnswerLeadershipUpdate) -> ServiceRequestSnapshot:
        return await self._apply(rules.answer_leadership, transitions.answer_leadership, u)

    @answer_leadership.validator
    def _v_answer_leadership(self, u: AnswerLeadershipUpdate) -> None:
        self._validate(rules.answer_leadership, u)

    @workflow.update(name=Update.REPORT_NETWORK_BUILT)
    async def report_network_built(self, u: NetworkBuiltUpdate) -> ServiceRequestSnapshot:
        return await self._apply(rules.report_network_built, transitions.report_network_built, u)

    @report_network_built.validator
    def _v_report_network_built(self, u: NetworkBuiltUpdate) -> None:
        self._validate(rules.report_network_built, u)


def _reassign(case: Case, now: Any, u: AssignUpdate) -> None:
    transitions.assign(case, now, u.technician_id, by=u.by)
