"""Which field of which message names the person acting: one table for every workflow.

The rule is the same everywhere: every acting field present in a message must name the verified
actor (a token for C-1001 cannot carry `leader_id: L-7001`). The *role* that person needs is then
checked by the workflow's own validators against the directory roster, as before (`role` below
says which, for the reader and for the integrator's guide): identity here, authority there.

A service identity (services.py) is not a person: it may do the operations listed for it, and
the persons its messages name are checked for their roles by the same validators.
Operations are `<workflow type>.<start | update name | signal name>`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cablecare.auth.actor import Actor
from cablecare.auth.services import ServiceIdentity


@dataclass(frozen=True)
class ActingRule:
    fields: tuple[str, ...] = ()  # each one present must name the actor
    one_of: str | None = None  # a list of {staff_id}: the actor must be one of them
    role: str = ""  # what the workflow's validators require of that person (documentation)
    unattended: bool = False  # nobody acts (a Temporal Schedule starts it): no token needed
    records_refusals: bool = False  # a signal whose handler records a refusal as rejected


ACTING: dict[str, ActingRule] = {
    # ServiceRequest (docs/contract.md); roles as enforced by workflows/service_request/rules.py
    "ServiceRequest.start": ActingRule(
        one_of="received_by", role="one of the receiving staff (R2.1); a service: listed"
    ),
    "ServiceRequest.submit_materials": ActingRule(("by",), role="staff of the company (R2.5)"),
    "ServiceRequest.acknowledge": ActingRule(("by",), role="staff of the company (R9.2)"),
    "ServiceRequest.refer": ActingRule(("by",), role="staff of the company (R2.6)"),
    "ServiceRequest.assign": ActingRule(("by",), role="dispatcher (R3.1, R8.1)"),
    "ServiceRequest.schedule_visit": ActingRule(("technician_id",), role="assigned technician"),
    "ServiceRequest.report_progress": ActingRule(("technician_id",), role="assigned technician"),
    "ServiceRequest.resolve": ActingRule(
        ("by",), role="assigned technician, owner, dispatcher or supervisor"
    ),
    "ServiceRequest.report_unreachable": ActingRule(
        ("technician_id",), role="assigned technician, else a technician or the owner (R4.5)"
    ),
    "ServiceRequest.request_extension": ActingRule(("by",), role="staff of the company (R4.6)"),
    "ServiceRequest.decide_extension": ActingRule(("leader_id",), role="leader (R4.6)"),
    "ServiceRequest.declare_force_majeure": ActingRule(("leader_id",), role="leader (R9.4)"),
    "ServiceRequest.end_force_majeure": ActingRule(("leader_id",), role="leader (R9.4)"),
    "ServiceRequest.record_callback": ActingRule(("agent_id",), role="callback agent (R5.3)"),
    "ServiceRequest.cancel": ActingRule(("by",), role="staff of the company"),
    "ServiceRequest.record_tracking": ActingRule(("by",), role="service desk staff ((五)1)"),
    "ServiceRequest.report_to_leader": ActingRule(
        ("by",), role="the first-responsible person ((二)7)"
    ),
    "ServiceRequest.answer_leadership": ActingRule(("leader_id",), role="leader ((二)8)"),
    "ServiceRequest.report_network_built": ActingRule(
        ("by",), role="network department or dispatcher ((四)4)"
    ),
    # The signal's payload is tagged by `type`; resolve names `by`, the others `technician_id`.
    "ServiceRequest.technician_update": ActingRule(
        ("technician_id", "by"), role="as the matching update", records_refusals=True
    ),
    # AccountabilityCase (R6): workflows/accountability/workflow.py checks the roles
    "AccountabilityCase.start": ActingRule(
        ("opened_by",), role="a supervisor opening by hand; the worker's service for breaches"
    ),
    "AccountabilityCase.submit_statement": ActingRule(
        ("staff_id",), role="the staff member concerned (R6.8)"
    ),
    "AccountabilityCase.decide": ActingRule(
        ("supervisor_id",), role="the party's superior or the supervision office ((六)4)"
    ),
    "AccountabilityCase.withdraw": ActingRule(
        ("by",), role="one who may decide the case ((四)5, (六)4)"
    ),
    # MaintenanceNotice (R9.5): workflows/maintenance/plan.py checks the leaders
    "MaintenanceNotice.start": ActingRule(
        ("planned_by", "emergency_approved_by"), role="planner; emergency: a leader (R9.5)"
    ),
    "MaintenanceNotice.change": ActingRule(
        ("by", "emergency_approved_by"), role="planner; emergency: a leader (R9.5)"
    ),
    "MaintenanceNotice.cancel": ActingRule(("by",), role="planner"),
    # Inspection ((七)2b, issue 12): workflows/inspection/ checks the inspector and the branch.
    "Inspection.start": ActingRule(
        ("inspector_id",), role="the inspector; the monthly plan starts them as the workers"
    ),
    "Inspection.record_finding": ActingRule(("by",), role="the inspector ((七)2b)"),
    "Inspection.report_correction": ActingRule(("by",), role="the branch correcting ((七)2e)"),
    "Inspection.verify_correction": ActingRule(("by",), role="the inspector ((七)2e)"),
    "Inspection.complete": ActingRule(("by",), role="the inspector"),
    # Scheduled duties: started by Temporal Schedules, no person acts and none is named.
    "SupervisionPlan.start": ActingRule(unattended=True),
    "CertificateReminders.start": ActingRule(unattended=True),
    "FeeReminders.start": ActingRule(unattended=True),
    "KeyAccountCallbackPlan.start": ActingRule(unattended=True),
    "AreaAssessment.start": ActingRule(unattended=True),
}


def rule_for(operation: str) -> ActingRule | None:
    return ACTING.get(operation)


def _get(payload: Any, name: str) -> Any:
    if isinstance(payload, Mapping):
        return payload.get(name)
    return getattr(payload, name, None)


def check_acting(
    operation: str, payload: Any, actor: Actor, services: Mapping[str, ServiceIdentity]
) -> str | None:
    """Why `actor` may not send this message, or None when it may."""
    rule = ACTING.get(operation)
    if rule is None:
        return f"{operation} has no acting rule: refused until one is defined"
    if actor.service:
        service = services.get(actor.staff_id)
        if service is None or operation not in service.operations:
            return f"service identity {actor.staff_id} may not do {operation}"
        return None
    named: list[str] = []
    for name in rule.fields:
        value = _get(payload, name)
        if value is None:
            continue
        if value != actor.staff_id:
            return (
                f"{name} is {value}, but the verified actor is {actor.staff_id}: "
                "a message may only name its sender as the person acting"
            )
        named.append(name)
    if rule.one_of is not None:
        listed = [_get(entry, "staff_id") for entry in _get(payload, rule.one_of) or []]
        if actor.staff_id not in listed:
            return f"the verified actor {actor.staff_id} is not among {rule.one_of}"
        return None
    if rule.fields and not named:
        return f"{' or '.join(rule.fields)} must name the verified actor {actor.staff_id}"
    return None
