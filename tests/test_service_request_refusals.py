"""Every refusal path of the ServiceRequest validators, on the pure case logic (no server).

The same functions run as Temporal update validators (workflows/service_request/rules.py);
the server-side tests prove they leave no history event. Here: every reason, and a property
that any payload is either accepted or refused with a ValueError - never another exception.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cablecare.domain import CaseState, Company, Setting
from cablecare.policy import load_policy
from cablecare.settings import get_settings
from workflows.service_request import messages as m
from workflows.service_request import rules, transitions
from workflows.service_request.case import Case, new_case
from workflows.service_request.state import CaseContext

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)
POLICY = load_policy(get_settings().policy_path)
ROSTER = {
    "T1": ["technician"],
    "T2": ["technician"],
    "DSP": ["dispatcher"],
    "LDR": ["leader"],
    "SUP": ["supervisor"],
    "CB": ["callback"],
    "CTR": ["counter"],
}


def make_case(
    kind: str = "fault", materials: list[str] | None = None, *, started: bool = True
) -> Case:
    ctx = CaseContext(
        area_id="A1",
        setting=Setting.URBAN,
        company=Company.CITY,
        key_account=False,
        area_technician_id="T1",
        supervisors=["SUP"],
        leaders=["LDR"],
        business_leads=["BL"],
        window_leads=[],
        roster=ROSTER,
        policy=POLICY,
    )
    data = m.ServiceRequestInput.model_validate(
        {
            "request_id": "R1",
            "kind": kind,
            "subscriber_id": "S1",
            "channel": "phone",
            "received_by": [{"staff_id": "CTR", "rank": 1}],
            "materials": materials or [],
        }
    )
    case = new_case(data, ctx, NOW)
    if started and case.needs_clock():
        transitions.start_clock(case, NOW, NOW + 24 * H)
    return case


def refused(check: Any, case: Case, payload: Any, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        check(case, payload, NOW)


def test_r2_5_unknown_material_code_is_refused_naming_the_expected_codes() -> None:
    case = make_case("installation", started=False)
    refused(
        rules.submit_materials,
        case,
        m.SubmitMaterialsUpdate(by="CTR", items=["passport"]),
        "unknown material code.*expected one of",
    )
    refused(
        rules.submit_materials,
        case,
        m.SubmitMaterialsUpdate(by="NOBODY", items=["id_card"]),
        "not known",
    )


def test_r9_2_acknowledge_refusals() -> None:
    refused(rules.acknowledge, make_case("fault"), m.AcknowledgeUpdate(by="CTR"), "only complaints")
    case = make_case("complaint")
    transitions.acknowledge(case, NOW, m.AcknowledgeUpdate(by="CTR"))
    refused(rules.acknowledge, case, m.AcknowledgeUpdate(by="CTR"), "already acknowledged")


def test_r8_1_assign_refusals() -> None:
    case = make_case()
    refused(
        rules.assign,
        case,
        m.AssignUpdate(by="CTR", technician_id="T2"),
        "not a certified dispatcher",
    )
    refused(
        rules.assign,
        case,
        m.AssignUpdate(by="DSP", technician_id="CTR"),
        "not a certified technician",
    )
    refused(rules.assign, case, m.AssignUpdate(by="DSP", technician_id="T1"), "already assigned")


def test_r9_7_visit_and_progress_refusals() -> None:
    case = make_case()
    refused(
        rules.schedule_visit,
        case,
        m.ScheduleVisitUpdate(technician_id="T2", window_start=NOW + H, window_end=NOW + 2 * H),
        "not assigned",
    )
    refused(
        rules.schedule_visit,
        case,
        m.ScheduleVisitUpdate(technician_id="T1", window_start=NOW - 3 * H, window_end=NOW - H),
        "already over",
    )
    refused(
        rules.report_progress,
        case,
        m.ReportProgressUpdate(technician_id="T2", status="on_site"),
        "not assigned",
    )
    with pytest.raises(ValueError, match="window_end must be after window_start"):
        m.ScheduleVisitUpdate(technician_id="T1", window_start=NOW + H, window_end=NOW)


def test_r4_1_nothing_is_worked_on_before_the_materials_are_complete() -> None:
    case = make_case("installation", started=False)
    refused(
        rules.resolve, case, m.ResolveUpdate(by="T1", resolution="x"), "materials still missing"
    )
    refused(
        rules.request_extension,
        case,
        m.RequestExtensionUpdate(by="T1", reason="x", extra_hours=2),
        "materials still missing",
    )


def test_resolve_refused_for_someone_unrelated() -> None:
    refused(rules.resolve, make_case(), m.ResolveUpdate(by="CB", resolution="x"), "may not resolve")


def test_r4_5_unreachable_refusals() -> None:
    case = make_case()
    refused(
        rules.report_unreachable,
        case,
        m.ReportUnreachableUpdate(technician_id="T1", reason="not_home", report=" "),
        "written report is required",
    )
    refused(
        rules.report_unreachable,
        case,
        m.ReportUnreachableUpdate(technician_id="T2", reason="not_home", report="left a note"),
        "not assigned",
    )


def test_r4_6_extension_refusals() -> None:
    case = make_case()
    refused(
        rules.decide_extension,
        case,
        m.DecideExtensionUpdate(leader_id="LDR", approved=True),
        "no extension request",
    )
    transitions.request_extension(
        case, NOW, m.RequestExtensionUpdate(by="T1", reason="parts", extra_hours=4)
    )
    refused(
        rules.request_extension,
        case,
        m.RequestExtensionUpdate(by="T1", reason="x", extra_hours=2),
        "already waiting",
    )
    refused(
        rules.decide_extension,
        case,
        m.DecideExtensionUpdate(leader_id="SUP", approved=True),
        "not a certified leader",
    )


def test_r9_4_force_majeure_refusals() -> None:
    case = make_case()
    refused(
        rules.end_force_majeure,
        case,
        m.ForceMajeureUpdate(leader_id="LDR", reason="x"),
        "no force majeure",
    )
    refused(
        rules.declare_force_majeure,
        case,
        m.ForceMajeureUpdate(leader_id="DSP", reason="x"),
        "not a certified leader",
    )
    transitions.declare_force_majeure(
        case, NOW, m.ForceMajeureUpdate(leader_id="LDR", reason="flood")
    )
    refused(
        rules.declare_force_majeure,
        case,
        m.ForceMajeureUpdate(leader_id="LDR", reason="x"),
        "already declared",
    )


def test_r5_3_callback_refusals() -> None:
    case = make_case()
    ok = m.RecordCallbackUpdate(agent_id="CB", reached=True, satisfied=True)
    refused(rules.record_callback, case, ok, "no callback is due")
    transitions.resolve(case, NOW, m.ResolveUpdate(by="T1", resolution="fixed"))
    refused(
        rules.record_callback,
        case,
        m.RecordCallbackUpdate(agent_id="CTR", reached=True, satisfied=True),
        "not a certified callback",
    )
    refused(
        rules.record_callback,
        case,
        m.RecordCallbackUpdate(agent_id="CB", reached=True),
        "satisfied",
    )
    refused(
        rules.record_callback,
        case,
        m.RecordCallbackUpdate(agent_id="CB", reached=False, problem_found=True),
        "not reached",
    )


def test_final_cases_refuse_everything() -> None:
    case = make_case()
    transitions.cancel(case, NOW, m.CancelUpdate(by="CTR", reason="duplicate"))
    assert case.snap.state == CaseState.CANCELLED
    for check, payload in (
        (rules.cancel, m.CancelUpdate(by="CTR", reason="again")),
        (rules.refer, m.ReferUpdate(by="CTR", department="d", contact="c", reason="r")),
        (rules.resolve, m.ResolveUpdate(by="T1", resolution="x")),
    ):
        refused(check, case, payload, "already cancelled")


def test_contract_models_refuse_bad_shapes() -> None:
    with pytest.raises(ValueError, match="request_id"):
        m.ServiceRequestInput.model_validate(
            {
                "request_id": "has space",
                "kind": "fault",
                "subscriber_id": "S",
                "channel": "phone",
                "received_by": [{"staff_id": "A", "rank": 1}],
            }
        )
    with pytest.raises(ValueError, match="UTC offset"):
        m.ScheduleVisitUpdate(
            technician_id="T1", window_start=datetime(2026, 1, 1), window_end=datetime(2026, 1, 2)
        )
    with pytest.raises(ValueError, match="extra_hours"):
        m.RequestExtensionUpdate(by="T1", reason="x", extra_hours=0)


UPDATES = {
    rules.submit_materials: m.SubmitMaterialsUpdate,
    rules.acknowledge: m.AcknowledgeUpdate,
    rules.refer: m.ReferUpdate,
    rules.assign: m.AssignUpdate,
    rules.schedule_visit: m.ScheduleVisitUpdate,
    rules.report_progress: m.ReportProgressUpdate,
    rules.resolve: m.ResolveUpdate,
    rules.report_unreachable: m.ReportUnreachableUpdate,
    rules.request_extension: m.RequestExtensionUpdate,
    rules.decide_extension: m.DecideExtensionUpdate,
    rules.declare_force_majeure: m.ForceMajeureUpdate,
    rules.end_force_majeure: m.ForceMajeureUpdate,
    rules.record_callback: m.RecordCallbackUpdate,
    rules.cancel: m.CancelUpdate,
    rules.record_tracking: m.RecordTrackingUpdate,
    rules.report_to_leader: m.ReportToLeaderUpdate,
    rules.answer_leadership: m.AnswerLeadershipUpdate,
    rules.report_network_built: m.NetworkBuiltUpdate,
}
staff = st.sampled_from([*ROSTER, "NOBODY"])
aware = st.integers(-5, 48).map(lambda h: NOW + h * H) | st.datetimes(timezones=st.just(UTC))
words = st.text(min_size=1, max_size=12) | st.just("")


FIELDS = {
    "by": staff,
    "technician_id": staff,
    "leader_id": staff,
    "agent_id": staff,
    "items": st.lists(st.sampled_from(["id_card", "property_proof", "x"]), max_size=3),
    "note": words,
    "reason": words | st.sampled_from(["not_home", "unreachable"]),
    "report": words,
    "resolution": words,
    "department": words,
    "contact": words,
    "status": st.sampled_from(["accepted", "on_site", "waiting_parts", "bogus"]),
    "reached": st.booleans(),
    "satisfied": st.none() | st.booleans(),
    "problem_found": st.booleans(),
    "approved": st.booleans(),
    "extra_hours": st.integers(-5, 1000) | st.integers(1, 48),
    "window_start": aware,
    "window_end": aware,
    "attempted_at": st.none() | aware,  # (四)5
    "address": words,  # (二)9
    "contacted": st.booleans(),  # (二)6
    "matter": st.sampled_from(["unclear", "major", "urgent", "bogus"]),  # (二)7/(二)8
    "question": words,
    "question_seq": st.integers(-1, 3),
    "answer": words,
}


@st.composite
def update_and_payload(draw: st.DrawFn) -> tuple[Any, dict[str, Any]]:
    check = draw(st.sampled_from(list(UPDATES)))
    names = list(UPDATES[check].model_fields)
    # every field of the model, each sometimes left out, so both shapes and rules are exercised
    kept = draw(st.lists(st.sampled_from(names), unique=True, min_size=len(names) - 1))
    return check, {name: draw(FIELDS[name]) for name in kept}


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(["fault", "complaint", "installation", "consultation"]),
    resolved=st.booleans(),
    drawn=update_and_payload(),
)
def test_any_update_payload_is_accepted_or_refused_with_a_reason(
    kind: str, resolved: bool, drawn: tuple[Any, dict[str, Any]]
) -> None:
    """Validators never crash: a payload is refused by its model or its rule, with words."""
    check, fields = drawn
    case = make_case(kind)
    if resolved and case.active:
        transitions.resolve(case, NOW, m.ResolveUpdate(by="T1", resolution="done"))
    try:
        payload = UPDATES[check].model_validate(fields)
    except ValueError as err:  # pydantic ValidationError is a ValueError: the field is named
        assert str(err)
        return
    try:
        check(case, payload, NOW)
    except ValueError as refusal:
        assert str(refusal).strip()
        return
    # accepted: applying it never fails either (a failing handler would wedge the workflow)
    APPLY[check](case, NOW, payload)
    assert case.snap.timeline[-1].at == NOW


def _assign(case: Case, now: datetime, u: m.AssignUpdate) -> None:
    transitions.assign(case, now, u.technician_id, by=u.by)


APPLY: dict[Any, Any] = {
    **{check: getattr(transitions, check.__name__) for check in UPDATES},
    rules.assign: _assign,
}
