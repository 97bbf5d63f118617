"""(三)3 targets, breach rate and escalations per 1,000 households, (七)2c / R8.1 certified
coverage, (七)2d the supervision report and (四)2 its scope: the numbers equal an independent
count in Python over seeded data, on SQLite and PostgreSQL; the pages render."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from activities.case_tables import EscalationRecord, WorkOrder
from activities.db import SessionFactory
from activities.directory_load import load_directory_file
from activities.directory_tables import Area, Staff
from activities.supervision import certification as reg
from activities.supervision.policy import SupervisionPolicy, load_supervision_policy
from activities.supervision.report_render import to_csv
from activities.supervision.scoring import assessment
from activities.supervision.supervision_report import supervision_report
from activities.supervision.tables import Certification, FindingRecord, InspectionRecord
from cablecare.cli import app
from cablecare.domain import Role
from cablecare.settings import get_settings
from tests.org_helpers import PROVINCE_SUPERVISOR, org_directory
from tests.test_reports import POLICY, independent, month_of, seed

SUP: SupervisionPolicy = load_supervision_policy()
KINDS = ["breach", "acknowledge_overdue", "callback_overdue", "appointment_missed"]
NOT_COUNTED = ["warning", "leadership_report", "unreachable_report"]
COVERAGE_DAY = date(2026, 11, 30)


@pytest.fixture
def seeded(database_url: str, tmp_path: Path) -> Iterator[SessionFactory]:
    from activities.db import init_db

    init_db(database_url)
    built = org_directory("r")
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(built["doc"], ensure_ascii=False), encoding="utf-8")
    load_directory_file(database_url, path)
    sessions = SessionFactory(database_url)
    seed(sessions)
    seed_supervision(sessions, built["ids"])
    yield sessions


def seed_supervision(sessions: SessionFactory, ids: dict[str, str]) -> None:
    rng = random.Random(12)
    with sessions() as s:
        for w in s.exec(select(WorkOrder)).all():
            if w.clock_started_at is not None and rng.random() < 0.2:
                w.breached = True
                s.add(w)
        areas = [a.area_id for a in s.exec(select(Area)).all()]
        start = datetime(2026, 10, 20, tzinfo=UTC)
        for i in range(300):
            s.add(
                EscalationRecord(
                    workflow_id=f"service-request-E{i}", request_id=f"E{i}",
                    area_id=rng.choice(areas), key=f"k{i}", kind=rng.choice(KINDS + NOT_COUNTED),
                    rule="R4.7", at=start + timedelta(hours=rng.randrange(24 * 50)), reason="x",
                )
            )  # fmt: skip
        # The register: valid, expired before the month's end, revoked, and a renewal.
        certs = [
            ("T-HF-01-2", "technician", date(2024, 11, 1), date(2026, 10, 31), None),
            ("T-HF-02-1", "technician", date(2026, 1, 1), date(2027, 12, 31), None),
            ("CB-HF-1", "callback", date(2026, 1, 1), date(2027, 12, 31), date(2026, 11, 15)),
            ("T-FD-02-2", "technician", date(2024, 1, 1), date(2025, 12, 31), None),
            ("T-FD-02-2", "technician", date(2026, 1, 1), date(2027, 12, 31), None),
        ]
        for staff_id, role, issued, expires, revoked in certs:
            s.add(
                Certification(
                    staff_id=staff_id, role=role, issued_on=issued, expires_on=expires,
                    issued_by="SUP-HF-01", revoked_on=revoked,
                )
            )  # fmt: skip
        hf, fd = ids["HF"], ids["FD"]
        for n, (branch, state) in enumerate(
            [(hf, "closed"), (hf, "planned"), (fd, "completed"), (fd, "closed"), (hf, "closed")]
        ):
            s.add(
                InspectionRecord(
                    inspection_id=f"i{n}", workflow_id=f"inspection-i{n}", kind="self",
                    inspector_id="SUP-HF-01", target_kind="branch", target_id=branch,
                    branch_id=branch, period="2026-11", planned_for=date(2026, 11, 5),
                    state=state, policy_version="2026.1",
                )
            )  # fmt: skip
        systems = ["disclosure", "callbacks", "time_limits"]
        for n in range(40):
            recorded = datetime(2026, 11, 2, tzinfo=UTC) + timedelta(hours=rng.randrange(24 * 27))
            due = recorded + timedelta(days=7)
            state = rng.choice(["open", "corrected", "verified", "verified", "escalated"])
            corrected = recorded + timedelta(days=rng.choice([2, 6, 9])) if state in (
                "verified", "corrected") else None  # fmt: skip
            s.add(
                FindingRecord(
                    inspection_id=f"i{n % 5}", finding_id=f"F{n}", branch_id=rng.choice([hf, fd]),
                    item="x", system=rng.choice(systems), recorded_at=recorded, due_at=due,
                    state=state, corrected_at=corrected,
                )
            )  # fmt: skip
        s.commit()


def independent_extra(sessions: SessionFactory, month: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    with sessions() as s:
        for w in s.exec(select(WorkOrder)).all():
            if w.clock_started_at and month_of(w.clock_started_at) == month and w.breached:
                out[w.area_id]["breached"] += 1
        for e in s.exec(select(EscalationRecord)).all():
            if month_of(e.at) == month and e.kind in KINDS:
                out[e.area_id]["escalations"] += 1
        certs: dict[tuple[str, str], Certification] = {}
        for c in s.exec(select(Certification)).all():
            key = (c.staff_id, c.role)
            if key not in certs or certs[key].issued_on < c.issued_on:
                certs[key] = c
        for p in s.exec(select(Staff)).all():
            needed = [r for r in p.roles if r in SUP.certified_roles]
            if not needed or p.area_id is None:
                continue
            ok = True
            for r in needed:
                c = certs.get((p.staff_id, r))
                if c is None:
                    ok = ok and r in p.certified_roles
                else:
                    revoked = c.revoked_on is not None and c.revoked_on <= COVERAGE_DAY
                    ok = ok and c.issued_on <= COVERAGE_DAY <= c.expires_on and not revoked
            out[p.area_id]["needing"] += 1
            out[p.area_id]["certified"] += int(ok)
    return out


def expected_category(missed: int) -> str:
    for c in sorted(SUP.categories, key=lambda c: c.max_missed):
        if missed <= c.max_missed:
            return c.code
    return "penalty"


def expected_missed(e: dict[str, Any], households: int, growth_target: float) -> list[str]:
    t, missed = SUP.targets, []
    if households and e["complaints"] / households > t.complaint_rate_max:
        missed.append("complaint_rate")
    if e["work_orders"] and e["responded_24h"] / e["work_orders"] < t.response_24h_min:
        missed.append("response_rate")
    if e["callbacks_reached"] and (
        e["callbacks_satisfied"] / e["callbacks_reached"] < t.satisfaction_min
    ):
        missed.append("satisfaction")
    if growth_target and (e["gained"] - e["lost"]) / growth_target < t.growth_attainment_min:
        missed.append("growth_attainment")
    return missed


def test_3_3_monthly_scores_breach_rate_and_escalations_match_an_independent_count(
    seeded: SessionFactory,
) -> None:
    base, extra = independent(seeded, "2026-11"), independent_extra(seeded, "2026-11")
    with seeded() as session:
        report = assessment(session, POLICY, SUP, "monthly", "2026-11")
    assert sum(a.breached for a in report.areas) > 0 and sum(a.escalations for a in report.areas)
    categories = set()
    for a in report.areas:
        b, x = base[a.area_id], extra[a.area_id]
        assert (a.breached, a.escalations) == (x["breached"], x["escalations"]), a.area_id
        if b["work_orders"]:
            assert a.breach_rate == pytest.approx(x["breached"] / b["work_orders"])
        assert a.escalations_per_1000 == pytest.approx(x["escalations"] * 1000 / a.households)
        missed = expected_missed(b, a.households, b["growth_target"])
        assert a.targets_missed == missed, a.area_id
        assert a.category == expected_category(len(missed)), a.area_id
        categories.add(a.category)
        assert (a.staff_needing_certificate, a.staff_certified) == (x["needing"], x["certified"])
    assert len(categories) >= 2  # the seed spreads the areas over more than one category
    assert report.total.breached == sum(x["breached"] for x in extra.values())
    trend = report.trend[-1]
    assert trend.counts.breached == report.total.breached
    assert trend.escalations_per_1000 == pytest.approx(report.total.escalations_per_1000)


def test_r8_1_coverage_counts_expired_and_revoked_certificates_as_uncovered(
    seeded: SessionFactory,
) -> None:
    with seeded() as session:
        report = assessment(session, POLICY, SUP, "monthly", "2026-11")
    by_area = {a.area_id: a for a in report.areas}
    # A-HF-01: T-HF-01-2 expired on 2026-10-31, CB-HF-1 revoked on 2026-11-15, and the
    # trainee never certified; T-HF-01-1 and the two counter clerks are (directory flag).
    hf01 = by_area["A-HF-01"]
    assert (hf01.staff_needing_certificate, hf01.staff_certified) == (6, 3)
    assert by_area["A-FD-02"].certified_coverage == 1.0  # renewed: the newer certificate counts
    assert by_area["A-HF-02"].certified_coverage == 1.0


def test_3_3_yearly_report_is_scored_too(seeded: SessionFactory) -> None:
    with seeded() as session:
        year = assessment(session, POLICY, SUP, "yearly", "2026")
        months = [
            assessment(session, POLICY, SUP, "monthly", f"2026-{m:02d}") for m in (10, 11, 12)
        ]
    assert year.total.breached == sum(m.total.breached for m in months)
    assert year.total.escalations == sum(m.total.escalations for m in months)
    assert all(a.category is not None for a in year.areas)
    assert [p.breach_rate for p in year.trend][9:] == [m.total.breach_rate for m in months]


def test_7_2d_supervision_report_counts_inspections_findings_and_corrections(
    seeded: SessionFactory,
) -> None:
    with seeded() as session:
        r = supervision_report(session, POLICY, SUP, "2026-11")
        findings = session.exec(select(FindingRecord)).all()
    by = {b.branch_id: b for b in r.branches}
    hf, fd = sorted(by, reverse=True)[0], sorted(by, reverse=True)[1]  # HF-r, FD-r
    assert (by[hf].planned, by[hf].done, by[fd].planned, by[fd].done) == (3, 2, 2, 2)
    for bid, b in by.items():
        mine = [f for f in findings if f.branch_id == bid]
        assert b.findings == len(mine)
        on_time = [f for f in mine if f.state == "verified" and f.corrected_at <= f.due_at]
        assert b.corrected_on_time == len(on_time)
        assert b.escalated == sum(1 for f in mine if f.state == "escalated")
        assert b.open == sum(1 for f in mine if f.state in ("open", "corrected"))
        assert sum(b.findings_by_system.values()) == b.findings
    assert r.province.findings == len(findings) and r.province.planned == 5
    lines = to_csv(r).splitlines()
    assert lines[0].startswith("period,branch_id") and len(lines) == 1 + len(by) + 1


def test_4_2_branch_supervisor_sees_only_their_branch_and_the_province_all(
    seeded: SessionFactory,
) -> None:
    with seeded() as session:
        branch = supervision_report(session, POLICY, SUP, "2026-11", as_staff="SUP-HF-02")
        province = supervision_report(session, POLICY, SUP, "2026-11", as_staff=PROVINCE_SUPERVISOR)
    assert branch.scope == ["HF-r"] and [b.branch_id for b in branch.branches] == ["HF-r"]
    assert {a.area_id[:4] for a in branch.assessment.areas} == {"A-HF"}
    assert branch.assessment.total.households == sum(a.households for a in branch.assessment.areas)
    assert province.scope is None and len(province.branches) == 2
    assert len(province.assessment.areas) == 7


def test_7_2d_cli_report_html_with_charts_and_scope_refusal(
    seeded: SessionFactory, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    runner = CliRunner()
    out = tmp_path / "supervision.html"
    result = runner.invoke(
        app, ["supervision", "report", "--month", "2026-11", "--format", "html", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert page.count("<svg") >= 10 and "超时率" in page and "持证覆盖率" in page
    assert "考核结果" in page and "<script" not in page
    refused = runner.invoke(
        app, ["supervision", "report", "--month", "2026-11", "--as", "CTR-HF-1"]
    )
    assert refused.exit_code == 1 and "not a supervisor" in refused.output
    monthly = runner.invoke(app, ["report", "monthly", "--month", "2026-11", "--as", "SUP-FD-01"])
    data = json.loads(monthly.output)
    assert data["scope"] == ["FD-r"] and {a["area_id"][:4] for a in data["areas"]} == {"A-FD"}
    get_settings.cache_clear()


def test_r8_1_staff_certify_revoke_list_cli(
    seeded: SessionFactory, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    runner = CliRunner()
    refused = runner.invoke(
        app, ["staff", "certify", "T-HF-TRAINEE", "--role", "technician", "--by", "CTR-HF-1"]
    )
    assert refused.exit_code == 1 and "may not certify" in refused.output
    ok = runner.invoke(
        app, ["staff", "certify", "T-HF-TRAINEE", "--role", "technician", "--by", "SUP-HF-01",
              "--issued", "2026-11-20"],
    )  # fmt: skip
    assert ok.exit_code == 0 and "valid through 2028-11-19" in ok.output
    listed = json.loads(runner.invoke(app, ["staff", "list", "--json"]).output)
    trainee = next(r for r in listed if r["staff_id"] == "T-HF-TRAINEE")
    assert trainee["source"] == "register" and trainee["expires_on"] == "2028-11-19"
    gone = runner.invoke(
        app, ["staff", "revoke", "T-HF-TRAINEE", "--role", "technician", "--by", "SUP-HF-01",
              "--reason", "failed the re-assessment"],
    )  # fmt: skip
    assert gone.exit_code == 0
    with SessionFactory(database_url)() as session:
        staff = session.get(Staff, "T-HF-TRAINEE")
        assert staff is not None
        register = reg.newest(session, ["T-HF-TRAINEE"])["T-HF-TRAINEE"]
        assert reg.certified_roles(staff, register, date.today() + timedelta(days=1)) == []
    scoped = json.loads(runner.invoke(app, ["staff", "list", "--json", "--as", "SUP-FD-01"]).output)
    assert scoped and all(r["branch_id"] == "FD-r" for r in scoped)
    get_settings.cache_clear()


def test_r8_1_new_hire_is_uncertified_until_certified(seeded: SessionFactory) -> None:
    with seeded() as session:
        staff = session.get(Staff, "T-HF-TRAINEE")  # joined without a certificate
        assert staff is not None
        assert reg.certified_roles(staff, {}, COVERAGE_DAY) == []
        reg.certify(
            session, staff_id="T-HF-TRAINEE", role=Role.TECHNICIAN, issued_on=COVERAGE_DAY,
            by="SUP-HF-01", validity_months=SUP.certificate_validity_months,
        )  # fmt: skip
        session.commit()
        register = reg.newest(session, ["T-HF-TRAINEE"])["T-HF-TRAINEE"]
        assert reg.certified_roles(staff, register, COVERAGE_DAY) == ["technician"]
