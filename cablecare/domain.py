"""Names shared by every layer: enums and constants of the public contract (docs/contract.md).

Pure Python with no I/O, so workflow code may import it inside the sandbox.
"""

from enum import StrEnum

TASK_QUEUE = "cable-service"


class Kind(StrEnum):
    FAULT = "fault"
    INSTALLATION = "installation"
    RESTORATION = "restoration"
    COMPLAINT = "complaint"
    CONSULTATION = "consultation"


class Severity(StrEnum):
    ORDINARY = "ordinary"
    MAJOR = "major"


class Setting(StrEnum):
    """Urban or rural: decides the installation time limit (R4.4)."""

    URBAN = "urban"
    RURAL = "rural"


class Company(StrEnum):
    """City company or county branch: decides the staffing norm (R3.1)."""

    CITY = "city"
    COUNTY = "county"


class Channel(StrEnum):
    """R2.3: first-contact responsibility covers every channel."""

    PHONE = "phone"
    COUNTER = "counter"
    ONLINE = "online"
    VISIT = "visit"


class Role(StrEnum):
    COUNTER = "counter"
    TECHNICIAN = "technician"
    DISPATCHER = "dispatcher"
    CALLBACK = "callback"
    SUPERVISOR = "supervisor"
    LEADER = "leader"
    BUSINESS_LEAD = "business_lead"
    WINDOW_LEAD = "window_lead"
    NETWORK = "network"  # (四)4 the network department reports construction complete
    SUPERVISION_OFFICE = "supervision_office"  # (六)4 监督机构: may decide any accountability case


# R7.2 / (六)4: who may open an accountability case by hand (the CLI and the workflow both ask).
# Breaches are opened by the worker's service identity; inspections by their activity.
HAND_OPENERS = frozenset({Role.SUPERVISOR, Role.SUPERVISION_OFFICE, Role.LEADER})


class CaseState(StrEnum):
    AWAITING_MATERIALS = "awaiting_materials"
    AWAITING_NETWORK = "awaiting_network"  # (四)4 the clock waits for network construction
    OPEN = "open"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    AWAITING_CALLBACK = "awaiting_callback"
    CLOSED = "closed"
    DEEMED_COMPLETED = "deemed_completed"
    CANCELLED = "cancelled"


FINAL_STATES = frozenset({CaseState.CLOSED, CaseState.DEEMED_COMPLETED, CaseState.CANCELLED})


class ProgressStatus(StrEnum):
    ACCEPTED = "accepted"
    EN_ROUTE = "en_route"
    ON_SITE = "on_site"
    WAITING_PARTS = "waiting_parts"


class UnreachableReason(StrEnum):
    """R4.5: the three situations in which a case may be deemed completed on time."""

    NOT_HOME = "not_home"
    UNREACHABLE = "unreachable"
    MATERIALS_NOT_COMPLETED = "materials_not_completed"


class AccountabilitySeverity(StrEnum):
    """R6.5 severity levels."""

    MINOR = "minor"
    SERIOUS = "serious"
    GRAVE = "grave"


class NoticeKind(StrEnum):
    LINE_MAINTENANCE = "line_maintenance"
    NEW_SERVICE = "new_service"
