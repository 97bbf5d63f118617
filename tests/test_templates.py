"""Issue 11 item 13: every message to a person is complete and readable.

Two checks. (1) Every template, with every kind, rendered with the fields it names as the
producers hand them over (times as ISO strings, the kind as its code): no placeholder is left
and no ISO timestamp reaches a person. (2) The case logic itself, driven through every path
that sends a message (intake, materials, referral, visit, urgency, deemed completion, leadership
questions, escalations), produces messages that render completely.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from activities.templates import KIND_ZH, NOTICE_KIND_ZH, TEMPLATES, fields, reading_time, render
from cablecare import REPO_ROOT
from cablecare.domain import Company, Kind, NoticeKind, ProgressStatus, Setting, UnreachableReason
from cablecare.policy import load_policy
from workflows.service_request import deadlines, transitions
from workflows.service_request.case import Case, new_case
from workflows.service_request.messages import (
    AcknowledgeUpdate,
    LeadershipMatter,
    ReferUpdate,
    ReportProgressUpdate,
    ReportToLeaderUpdate,
    ReportUnreachableUpdate,
    ScheduleVisitUpdate,
    ServiceRequestInput,
)
from workflows.service_request.state import CaseContext

ISO = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?")
PLACEHOLDER = re.compile(r"{\w+}")
POLICY = load_policy(REPO_ROOT / "policy" / "sla-policy.toml")
T0 = datetime(2026, 12, 2, 3, 53, tzinfo=UTC)  # 11:53 in Asia/Shanghai


def _readable(body: str) -> None:
    assert not PLACEHOLDER.search(body), f"unfilled placeholder in: {body}"
    assert not ISO.search(body), f"ISO timestamp in a message to a person: {body}"


def _producer_value(field: str, kind: str) -> str:
    """What a producer hands over for a field: times as ISO strings, the kind as its code."""
    if field in ("kind",):
        return kind
    if field.endswith(("_at", "_start", "_end", "_by")) or field in ("accept_by",):
        return T0.isoformat()
    if field.endswith("_on"):
        return "2026-12-15"
    return f"<{field}>"


ALL_KINDS = [k.value for k in Kind] + [k.value for k in NoticeKind]


@pytest.mark.parametrize("template", sorted(TEMPLATES))
@pytest.mark.parametrize("kind", ALL_KINDS)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_item_13_every_template_with_every_kind_is_filled_and_readable(
    template: str, kind: str, lang: str
) -> None:
    named = fields(template, lang) - {"kind_zh"}  # derived from `kind` when not given
    params = {f: _producer_value(f, kind) for f in named | {"kind"}}
    body = render(template, params, lang)
    _readable(body)
    if "{kind_zh}" in TEMPLATES[template][lang]:
        assert (KIND_ZH | NOTICE_KIND_ZH)[kind] in body


def test_item_13_times_read_as_a_customer_reads_them() -> None:
    assert (
        render("case_received", {"due_at": T0.isoformat(), "kind": "fault"}).count("12月2日 03:53")
        == 1
    )  # an ISO string keeps its own offset
    from zoneinfo import ZoneInfo

    assert reading_time(T0, ZoneInfo("Asia/Shanghai")) == "12月2日 11:53"
    midnight = datetime(2026, 12, 3, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert reading_time(midnight, ZoneInfo("Asia/Shanghai")) == "12月2日 24:00"  # R4.4 end of day


def _ctx(**extra: object) -> CaseContext:
    base: dict[str, object] = {
        "area_id": "A-HF-01",
        "setting": Setting.URBAN,
        "company": Company.CITY,
        "key_account": False,
        "area_technician_id": "T-HF-01-1",
        "supervisors": ["SUP-HF-01"],
        "leaders": ["LDR-HF"],
        "business_leads": ["BL-HF"],
        "window_leads": ["WL-HF"],
        "roster": {"T-HF-01-1": ["technician"], "LDR-HF": ["leader"], "DSP-HF": ["dispatcher"]},
        "policy": POLICY,
    }
    return CaseContext.model_validate(base | extra)


def _case(kind: Kind, severity: str = "ordinary", **ctx: object) -> Case:
    data = ServiceRequestInput.model_validate(
        {
            "request_id": f"R-{kind.value}",
            "kind": kind,
            "severity": severity,
            "subscriber_id": "SUB-000002",
            "channel": "counter",
            "received_by": [{"staff_id": "CTR-HF-1", "rank": 1}],
            "received_at": T0,
        }
    )
    return new_case(data, _ctx(**ctx), T0)


def _drive(case: Case) -> None:
    """Every message path of the case logic, in a plausible order."""
    now = T0
    if case.needs_clock():
        transitions.start_clock(case, now, now + timedelta(hours=24))
    transitions.refer(
        case,
        now,
        ReferUpdate(
            by="CTR-HF-1",
            department="网络部",
            contact="0551-1234567",
            reason="干线",
            address="X路1号",
        ),
    )
    transitions.report_to_leader(
        case,
        now,
        ReportToLeaderUpdate(by="CTR-HF-1", matter=LeadershipMatter.MAJOR, question="如何答复"),
    )
    if case.snap.kind == Kind.COMPLAINT:
        transitions.acknowledge(case, now, AcknowledgeUpdate(by="CTR-HF-1"))
    if case.snap.technician_id:
        transitions.schedule_visit(
            case,
            now,
            ScheduleVisitUpdate(
                technician_id="T-HF-01-1",
                window_start=now + timedelta(hours=2),
                window_end=now + timedelta(hours=4),
            ),
        )
        transitions.report_progress(
            case,
            now,
            ReportProgressUpdate(technician_id="T-HF-01-1", status=ProgressStatus.EN_ROUTE),
        )
    for hours in (10, 19, 25, 80, 24 * 8, 24 * 16):  # warnings, breaches, tracking, materials
        deadlines.fire_due(case, T0 + timedelta(hours=hours))
    if not case.final:
        transitions.report_unreachable(
            case,
            T0 + timedelta(hours=30),
            ReportUnreachableUpdate(
                technician_id="T-HF-01-1",
                reason=UnreachableReason.NOT_HOME,
                report="两次上门无人",
                attempted_at=T0 + timedelta(hours=20),
            ),
        )


@pytest.mark.parametrize("kind", list(Kind))
@pytest.mark.parametrize("severity", ["ordinary", "major"])
@pytest.mark.parametrize("key_account", [False, True])
def test_item_13_every_message_the_case_logic_sends_is_complete(
    kind: Kind, severity: str, key_account: bool
) -> None:
    case = _case(kind, severity, key_account=key_account)
    if kind == Kind.INSTALLATION:  # the materials window and its reminder, then a full case
        _drive(case)
        case = _case(kind, severity, key_account=key_account)
        case.snap.missing_materials = []
    _drive(case)
    outbox = case.data.outbox
    assert outbox, "the case sent nothing"
    for n in outbox:
        _readable(render(n.template, n.params))
        _readable(render(n.template, n.params, "en"))


def test_item_13_accountability_opened_message_reads_the_deadline_as_a_person_does() -> None:
    from zoneinfo import ZoneInfo

    from activities.accountability_activities import opened_params

    due = datetime(2026, 3, 6, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # end of 5 March
    body = render("accountability_opened", opened_params("C-1", "R4.3", due, "Asia/Shanghai"))
    _readable(body)
    assert "3月5日 24:00" in body
