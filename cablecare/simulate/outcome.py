"""What one simulated request came to, read from its case (escalations, callbacks, effects)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from activities.reports import RESPONSE_HOURS
from cablecare.simulate.driver import DrivenCase
from cablecare.simulate.generate import Arrival
from workflows.service_request.state import EscalationKind, ServiceRequestSnapshot


@dataclass(frozen=True)
class CaseOutcome:
    request_id: str
    area_id: str
    kind: str
    severity: str
    key_account: bool
    received_at: datetime
    state: str
    breaches: int  # R4.7 breach escalations, every clock round
    escalations: tuple[tuple[str, str, datetime], ...]  # (kind, rule, at), in order
    accountability: int  # R6.1 accountability cases the case opened
    work_order: bool  # R3.3: its clock started
    responded_24h: bool  # R3.3: first response within 24 h of the clock start
    callbacks_owed: int  # R5.1 resolutions that wanted a callback
    callbacks_overdue: int
    callbacks_reached: int
    callbacks_satisfied: int
    refusals: int  # messages the validators refused (0 when the workload is sane)

    @property
    def escalation_count(self) -> int:
        return len(self.escalations)


def outcome_of(arrival: Arrival, driven: DrivenCase, callbacks_owed: int) -> CaseOutcome:
    return outcome_from_snapshot(
        arrival,
        driven.case.snap,
        first_clock_start=driven.first_clock_start,
        accountability=len(driven.effects.accountability_cases),
        callbacks_owed=callbacks_owed,
        refusals=len(driven.refusals),
    )


def outcome_from_snapshot(
    arrival: Arrival,
    s: ServiceRequestSnapshot,
    *,
    first_clock_start: datetime | None,
    accountability: int,
    callbacks_owed: int,
    refusals: int,
) -> CaseOutcome:
    kinds = [e.kind for e in s.escalations]
    started = first_clock_start
    responded = (
        started is not None
        and s.first_response_at is not None
        and s.first_response_at - started <= timedelta(hours=RESPONSE_HOURS)
    )
    return CaseOutcome(
        request_id=arrival.request_id,
        area_id=arrival.area_id,
        kind=arrival.kind.value,
        severity=arrival.severity.value,
        key_account=arrival.key_account,
        received_at=arrival.at,
        state=s.state.value,
        breaches=kinds.count(EscalationKind.BREACH),
        escalations=tuple((e.kind.value, e.rule, e.at) for e in s.escalations),
        accountability=accountability,
        work_order=started is not None,
        responded_24h=responded,
        callbacks_owed=callbacks_owed,
        callbacks_overdue=kinds.count(EscalationKind.CALLBACK_OVERDUE),
        callbacks_reached=sum(1 for c in s.callbacks if c.reached),
        callbacks_satisfied=sum(1 for c in s.callbacks if c.reached and c.satisfied),
        refusals=refusals,
    )
