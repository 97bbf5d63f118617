"""What people and other systems see of a case without asking it: search attributes, the
UI's current details, and the work-order row (R7.1). Never personal data."""

from __future__ import annotations

from typing import Any

from temporalio.common import SearchAttributeUpdate

from cablecare import search_attributes as sa
from workflows.service_request.activity_io import SyncCaseInput, WorkOrderData
from workflows.service_request.case import Case
from workflows.service_request.state import EscalationKind


def ever_breached(case: Case) -> bool:
    return any(e.kind == EscalationKind.BREACH for e in case.snap.escalations)


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


def ui_details(case: Case) -> str:
    """Markdown for the Temporal UI's current details: a case at a glance."""
    s = case.snap
    lines = [
        f"**{s.kind.value} / {s.severity.value}** - state **{s.state.value}** ({s.priority})",
        f"owner `{s.owner_id}` - technician `{s.technician_id or '-'}` - area `{s.area_id}`",
    ]
    if s.missing_materials:
        lines.append(f"waiting for materials: {', '.join(s.missing_materials)}")
    if s.clock.due_at:
        paused = " (suspended: force majeure)" if s.clock.paused else ""
        lines.append(f"{s.clock.limit_label}: due {case.when(s.clock.due_at)}{paused}")
    if s.acknowledge_due_at and not s.acknowledged_at:
        lines.append(f"acknowledge by {case.when(s.acknowledge_due_at)}")
    if s.callback_due_at and s.state.value == "awaiting_callback":
        lines.append(f"callback by {case.when(s.callback_due_at)}")
    if ever_breached(case):
        lines.append("**BREACHED**")
    return "\n\n".join(lines)
