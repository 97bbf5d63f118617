"""The workflows Temporal Schedules start (cablecare/schedules.py): thin shells around one
idempotent activity each, so running one twice (a retry, a catch-up, an operator's manual
run) changes nothing the second time.

R9.5 fee reminders (daily), R5.4 key-account callback plan (monthly), R3.3/R3.4 area
assessment (monthly, and the yearly summary), (五)5/(四)2 the monthly supervision plan and
(八)/R8.1 certificate expiry reminders (daily).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey

with workflow.unsafe.imports_passed_through():
    from activities.assessment_activities import AssessmentActivities
    from activities.callback_plan_activities import CallbackPlanActivities
    from activities.reminder_activities import ReminderActivities
    from activities.supervision.certification_activities import CertificationActivities
    from activities.supervision.inspection_activities import InspectionActivities
    from workflows.inspection.activity_io import PlanInspectionsInput
    from workflows.inspection.messages import (
        PLAN_WORKFLOW_NAME,
        SupervisionPlanInput,
        SupervisionPlanResult,
    )
    from workflows.scheduled.messages import (
        AREA_ASSESSMENT,
        CERTIFICATE_REMINDERS,
        FEE_REMINDERS,
        KEY_ACCOUNT_CALLBACKS,
        AssessmentInput,
        AssessmentResult,
        AssessmentRun,
        CertificateRemindersInput,
        CertificateRemindersResult,
        CertificateRemindersRun,
        FeeRemindersInput,
        FeeRemindersResult,
        FeeRemindersRun,
        KeyAccountCallbacksInput,
        KeyAccountCallbacksResult,
        KeyAccountCallbacksRun,
    )

# Set by the server on every workflow a Schedule starts: the time it was *due*, not when it ran.
SCHEDULED_START = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")
# Paged, heartbeating activities: a worker restart resumes at the last page.
TIMEOUT = timedelta(hours=1)
HEARTBEAT = timedelta(minutes=2)
RETRY = RetryPolicy(maximum_interval=timedelta(minutes=5))


def nominal_time() -> datetime:
    """The Schedule's nominal time when started by one; the start time otherwise."""
    scheduled = workflow.info().typed_search_attributes.get(SCHEDULED_START)
    return scheduled or workflow.now()


@workflow.defn(name=FEE_REMINDERS)
class FeeReminders:
    """R9.5 / R9.8: remind subscribers whose fees expire within the policy's offsets."""

    @workflow.run
    async def run(self, data: FeeRemindersInput) -> FeeRemindersResult:
        return await workflow.execute_activity_method(
            ReminderActivities.send_fee_reminders,
            FeeRemindersRun(request=data, as_of=nominal_time()),
            summary="fee-expiry reminders: SMS or phone task, plus a TV caption",
            start_to_close_timeout=TIMEOUT,
            heartbeat_timeout=HEARTBEAT,
            retry_policy=RETRY,
        )


@workflow.defn(name=KEY_ACCOUNT_CALLBACKS)
class KeyAccountCallbackPlan:
    """R5.4: this period's callback task for every key account, assigned to a callback agent."""

    @workflow.run
    async def run(self, data: KeyAccountCallbacksInput) -> KeyAccountCallbacksResult:
        return await workflow.execute_activity_method(
            CallbackPlanActivities.create_key_account_callbacks,
            KeyAccountCallbacksRun(request=data, as_of=nominal_time()),
            summary="key-account callback tasks for the period",
            start_to_close_timeout=TIMEOUT,
            heartbeat_timeout=HEARTBEAT,
            retry_policy=RETRY,
        )


@workflow.defn(name=AREA_ASSESSMENT)
class AreaAssessment:
    """R3.3 / R3.4 / R3.1: compute and keep the monthly (or yearly) assessment of every area."""

    @workflow.run
    async def run(self, data: AssessmentInput) -> AssessmentResult:
        return await workflow.execute_activity_method(
            AssessmentActivities.assess_areas,
            AssessmentRun(request=data, as_of=nominal_time()),
            summary=f"{data.kind.value} area assessment",
            start_to_close_timeout=TIMEOUT,
            retry_policy=RETRY,
        )


@workflow.defn(name=PLAN_WORKFLOW_NAME)
class SupervisionPlan:
    """(五)5 / (四)2: start this month's branch self-inspections and the province's inspections
    of branches, each exactly once (the activity starts them under fixed ids)."""

    @workflow.run
    async def run(self, data: SupervisionPlanInput) -> SupervisionPlanResult:
        return await workflow.execute_activity_method(
            InspectionActivities.plan_inspections,
            PlanInspectionsInput(period=data.period, as_of=nominal_time()),
            summary="supervision plan: self-inspections and province inspections of the month",
            start_to_close_timeout=TIMEOUT,
            retry_policy=RETRY,
        )


@workflow.defn(name=CERTIFICATE_REMINDERS)
class CertificateReminders:
    """(八) / R8.1: remind each branch of certificates about to expire (once per certificate)."""

    @workflow.run
    async def run(self, data: CertificateRemindersInput) -> CertificateRemindersResult:
        return await workflow.execute_activity_method(
            CertificationActivities.remind_expiring_certificates,
            CertificateRemindersRun(request=data, as_of=nominal_time()),
            summary="certificate expiry reminders to the branches",
            start_to_close_timeout=TIMEOUT,
            retry_policy=RETRY,
        )
