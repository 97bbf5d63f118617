"""What people and other systems see of a case without asking it: search attributes, the
UI's current details, and the work-order row (R7.1). Never personal data."""

from __future__ import annotations

from typing import Any

from temporalio.common import SearchAttributeUpdate

from activities.notifications import Notification
from cablecare import search_attributes as sa
from workflows.accountability.messages import AccountabilityCaseInput
from workflows.service_request.activity_io import RecordCaseInput, SyncCaseInput, WorkOrderData
from workflows.service_request.case import Case
from workflows.service_request.messages import ServiceRequestInput
from workflows.service_request.state import EscalationKind


def ever_breached(case: Case) -> bool:
    """A breach withdrawn under (四)5 (the attempt was on time) does not count."""
    return any(
        e.kind == EscalationKind.BREACH and e.withdrawn_at is None for e in case.snap.escalations
    )


def work_order(case: Case, workflow_id: str, upto: int) -> SyncCaseInput:
    s, d = case.snap, case.data
    return SyncCaseInput(
        step=upto,
        work_order=WorkOrderData(
            request_id=s.request_id,
            workflow_id=workflow_id,
            kind=s.kind,
            severity=s.severity,
            channel=s.channel.value,
            subscriber_id=s.subscriber_id,
            area_id=s.area_id,
            owner_id=s.owner_id,
            technician_id=s.technician_id,
            state=s.state,
            priority=s.priority,
            policy_version=s.policy_version,
            received_at=s.received_at,
            clock_started_at=s.clock.started_at,
            due_at=s.clock.due_at,
            breached=ever_breached(case),
            first_response_at=s.first_response_at,
            resolved_at=s.resolved_at,
            closed_at=s.closed_at,
            reopened_count=d.reopened_count,
        ),
        events=[e for e in s.timeline if d.synced_step < e.seq <= upto],
        escalations=s.escalations[d.synced_escalations :],
        callbacks=s.callbacks[d.synced_callbacks :],
    )


def record_case_input(
    case: Case,
    workflow_id: str,
    upto: int,
    notifications: list[Notification],
    accountability: list[AccountabilityCaseInput],
) -> RecordCaseInput:
    """One flush for `record_case`: the rows of `work_order` plus the messages and the
    accountability cases recorded since the last flush."""
    rows = work_order(case, workflow_id, upto)
    return RecordCaseInput(**dict(rows), notifications=notifications, accountability=accountability)


def search_attributes(case: Case, sent: dict[str, Any]) -> list[SearchAttributeUpdate]:
    """The attributes that changed since the last upsert (each upsert is a history event)."""
    s = case.snap
    wanted: dict[str, Any] = {
        sa.CS_KIND.name: s.kind.value,
        sa.CS_STATE.name: s.state.value,
        sa.CS_AREA_ID.name: s.area_id,
        sa.CS_OWNER_ID.name: s.owner_id,
        sa.CS_TECHNICIAN_ID.name: s.technician_id,
        sa.CS_PRIORITY.name: s.priority,
        sa.CS_DUE_AT.name: s.clock.due_at,
        sa.CS_BREACHED.name: ever_breached(case),
    }
    updates: list[SearchAttributeUpdate] = []
    for key in sa.ALL_KEYS:
        value = wanted[key.name]
        if key.name in sent and sent[key.name] == value:
            continue
        sent[key.name] = value
        updates.append(key.value_unset() if value is None else key.value_set(value))  # type: ignore[attr-defined]
    return updates


def summary_line(request: ServiceRequestInput) -> str:
    """One line naming the case, no personal data: the starter's static summary, and the first
    line of the details the workflow sets itself, so a case started by the CLI or another SDK
    without a summary still reads at a glance in the UI (issue 13 item 7)."""
    r = request
    return f"{r.kind.value} ({r.severity.value}) request {r.request_id} via {r.channel.value}"


def intake_details(request: ServiceRequestInput) -> str:
    """The UI's current details before intake has read the directory."""
    return f"### {summary_line(request)}\n\nregistering: reading the directory and the policy"


def ui_details(case: Case) -> str:
    """Markdown for the Temporal UI's current details: a case at a glance."""
    s = case.snap
    lines = [
        f"### {summary_line(case.data.input)}",
        f"**{s.kind.value} / {s.severity.value}** - state **{s.state.value}** ({s.priority})",
        f"owner `{s.owner_id}` - technician `{s.technician_id or '-'}` - area `{s.area_id}`",
    ]
    if s.missing_materials:
        window = f" (until {case.shown(s.materials_lapse_at)})" if s.materials_lapse_at else ""
        lines.append(f"waiting for materials{window}: {', '.join(s.missing_materials)}")
    if s.network_pending:
        lines.append("waiting for the network to be built ((四)4): no clock yet")
    if s.clock.due_at:
        paused = " (suspended: force majeure)" if s.clock.paused else ""
        lines.append(f"{s.clock.limit_label}: due {case.shown(s.clock.due_at)}{paused}")
    if s.acknowledge_due_at and not s.first_response_at:
        lines.append(f"first response by {case.shown(s.acknowledge_due_at)}")  # (九)2
    if s.accept_due_at and not s.accepted_at:
        lines.append(f"urgent: take up by {case.shown(s.accept_due_at)}")  # (四)6
    if s.tracking_due_at and not s.tracked_at:
        lines.append(f"track the work order by {case.shown(s.tracking_due_at)}")  # (五)1
    if s.callback_due_at and s.state.value == "awaiting_callback":
        lines.append(f"callback by {case.shown(s.callback_due_at)}")
    if ever_breached(case):
        lines.append("**BREACHED**")
    return "\n\n".join(lines)
