"""(六)1-2: which violations open an accountability case is the policy's choice, per violation
(issue 11 item 11). Pure case logic: the same code the workflow runs, without a server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cablecare import REPO_ROOT
from cablecare.domain import Company, Kind, Setting
from cablecare.policy import Violation, load_policy
from workflows.service_request import deadlines, transitions
from workflows.service_request.case import new_case
from workflows.service_request.messages import ResolveUpdate, ServiceRequestInput
from workflows.service_request.state import CaseContext, EscalationKind

POLICY = load_policy(REPO_ROOT / "policy" / "sla-policy.toml")
T0 = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


def _fault_case(violations: dict[Violation, bool]):  # type: ignore[no-untyped-def]
    rules = POLICY.accountability.model_copy(update={"violations": violations})
    policy = POLICY.model_copy(update={"accountability": rules})
    ctx = CaseContext(
        area_id="A-HF-01",
        setting=Setting.URBAN,
        company=Company.CITY,
        key_account=False,
        area_technician_id="T-HF-01-1",
        supervisors=["SUP-HF-01"],
        leaders=["LDR-HF"],
        business_leads=["BL-HF"],
        window_leads=[],
        roster={"T-HF-01-1": ["technician"]},
        policy=policy,
    )
    data = ServiceRequestInput.model_validate(
        {
            "request_id": "V-1",
            "kind": Kind.FAULT,
            "subscriber_id": "SUB-000002",
            "channel": "phone",
            "received_by": [{"staff_id": "CTR-HF-1", "rank": 1}],
        }
    )
    case = new_case(data, ctx, T0)
    transitions.start_clock(case, T0, T0 + timedelta(hours=24))
    transitions.resolve(
        case, T0 + timedelta(hours=1), ResolveUpdate(by="T-HF-01-1", resolution="ok")
    )
    return case


@pytest.mark.parametrize("opens", [True, False])
def test_liu_2_missed_callback_opens_a_case_only_when_the_policy_says_so(opens: bool) -> None:
    case = _fault_case({Violation.CALLBACK_OVERDUE: opens, Violation.TRACKING_OVERDUE: opens})
    deadlines.fire_due(case, T0 + timedelta(hours=74))
    kinds = {e.kind: e for e in case.snap.escalations}
    missed = kinds[EscalationKind.CALLBACK_OVERDUE]
    tracked = kinds[EscalationKind.TRACKING_OVERDUE]
    assert (missed.accountability_case_id is not None) == opens
    assert (tracked.accountability_case_id is not None) == opens
    opened = {a.case_id for a in case.data.accountability}
    assert (missed.accountability_case_id in opened) == opens
    assert all(a.lead_id == "SUP-HF-01" for a in case.data.accountability)  # (六)5 both


def test_liu_2_a_violation_the_policy_does_not_name_opens_no_case() -> None:
    case = _fault_case({})
    deadlines.fire_due(case, T0 + timedelta(hours=74))
    assert case.snap.escalations and not case.data.accountability
