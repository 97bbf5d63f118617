"""Every table of the application, imported in one place for Alembic and `init_db`."""

from activities.accountability_tables import AccountabilityRecord
from activities.case_tables import CallbackRecord, CaseEvent, EscalationRecord, WorkOrder
from activities.directory_tables import Area, Staff, Subscriber
from activities.duty_tables import (
    AssessmentSnapshot,
    FeeReminder,
    KeyAccountCallback,
    MaintenanceDelivery,
    MaintenanceNoticeRecord,
    SubscriptionChange,
)
from activities.identity_tables import TrustedSigningKey
from activities.notification_tables import OutboxMessage
from activities.request_registry import RequestClaim
from activities.supervision.tables import (
    Certification,
    CompanyUnit,
    FindingRecord,
    InspectionRecord,
    Outlet,
    PublishedDisclosure,
    SupervisionEvent,
)

__all__ = [
    "AccountabilityRecord",
    "Area",
    "AssessmentSnapshot",
    "CallbackRecord",
    "CaseEvent",
    "Certification",
    "CompanyUnit",
    "FindingRecord",
    "InspectionRecord",
    "Outlet",
    "PublishedDisclosure",
    "SupervisionEvent",
    "EscalationRecord",
    "FeeReminder",
    "KeyAccountCallback",
    "MaintenanceDelivery",
    "MaintenanceNoticeRecord",
    "OutboxMessage",
    "RequestClaim",
    "Staff",
    "Subscriber",
    "SubscriptionChange",
    "TrustedSigningKey",
    "WorkOrder",
]
