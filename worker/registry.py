"""What the worker runs: every workflow class and every activity, with dependencies injected.

Add a new workflow or activity class here and `cablecare worker`, `cablecare dev` and the tests
all pick it up. Each activities class lists its own activity methods in `.activities()`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from activities.accountability_activities import AccountabilityActivities
from activities.assessment_activities import AssessmentActivities
from activities.callback_plan_activities import CallbackPlanActivities
from activities.case_activities import CaseActivities
from activities.case_records import CaseRecordActivities
from activities.db import SessionFactory
from activities.maintenance_activities import MaintenanceActivities
from activities.notifications import NotificationActivities, NotificationSender, OutboxSender
from activities.reminder_activities import ReminderActivities
from cablecare.settings import Settings
from workflows.accountability.workflow import AccountabilityCase
from workflows.maintenance.workflow import MaintenanceNotice
from workflows.scheduled.workflows import AreaAssessment, FeeReminders, KeyAccountCallbackPlan
from workflows.service_request.workflow import ServiceRequest


def workflow_classes() -> list[type]:
    return [
        ServiceRequest,
        AccountabilityCase,
        MaintenanceNotice,
        FeeReminders,
        KeyAccountCallbackPlan,
        AreaAssessment,
    ]


def activity_callables(
    settings: Settings, *, sender: NotificationSender | None = None
) -> Sequence[Callable[..., Any]]:
    sessions = SessionFactory(settings.database_url)
    sender = sender or OutboxSender(sessions)
    return [
        *CaseActivities(sessions, sender, settings).activities(),
        *CaseRecordActivities(sessions).activities(),
        *AccountabilityActivities(sessions, sender, settings).activities(),
        *MaintenanceActivities(sessions, sender, settings).activities(),
        *ReminderActivities(sessions, sender, settings).activities(),
        *CallbackPlanActivities(sessions, sender, settings).activities(),
        *AssessmentActivities(sessions, settings).activities(),
        NotificationActivities(sender).send_notifications,
    ]
