"""R3.3 / R3.4 / R3.1 area assessment: SQL numbers equal an independent count in Python, on
SQLite and PostgreSQL; the report renders as JSON, CSV and an HTML page with charts."""

from __future__ import annotations

import csv
import io
import json
import random
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from sqlmodel import select
from temporalio.client import Client
from typer.testing import CliRunner

from activities.case_tables import CallbackRecord, WorkOrder
from activities.db import SessionFactory, init_db
from activities.directory_load import load_directory_file
from activities.directory_tables import Area
from activities.duty_tables import AssessmentSnapshot, SubscriptionChange
from activities.report_render import to_csv, to_html, to_json
from activities.reports import monthly_report, yearly_report
from cablecare import REPO_ROOT
from cablecare.cli import app
from cablecare.policy import SlaPolicy, load_policy
from cablecare.settings import get_settings
from workflows.scheduled.messages import AssessmentInput, AssessmentKind
from workflows.scheduled.workflows import AreaAssessment

from .duty_helpers import DutyEnv, duty_environment

TZ = ZoneInfo("Asia/Shanghai")
POLICY: SlaPolicy = load_policy(REPO_ROOT / "policy" / "sla-policy.toml")
NOV_START = datetime(2026, 11, 1, tzinfo=TZ).astimezone(UTC)  # 2026-10-31T16:00Z


@pytest.fixture
def seeded(database_url: str) -> Iterator[SessionFactory]:
    init_db(database_url)
    load_directory_file(database_url, REPO_ROOT / "data" / "sample-directory.json")
    sessions = SessionFactory(database_url)
    seed(sessions)
    yield sessions


def seed(sessions: SessionFactory, n: int = 600) -> None:
    """Work orders, callbacks and subscription changes around October-December 2026, with the
    edges that matter: exactly 24 h, 24 h + 1 µs, local month boundaries, no response yet."""
    rng = random.Random(7)
    with sessions() as session:
        areas = [a.area_id for a in session.exec(select(Area)).all()]
        span = int(
            (datetime(2027, 1, 1, tzinfo=UTC) - datetime(2026, 10, 1, tzinfo=UTC)).total_seconds()
        )
        for i in range(n):
            area = rng.choice(areas)
            received = datetime(2026, 10, 1, tzinfo=UTC) + timedelta(
                seconds=rng.randrange(span), microseconds=rng.randrange(1_000_000)
            )
            started = (
                received + timedelta(minutes=rng.choice([0, 0, 30, 600]))
                if rng.random() < 0.9
                else None
            )
            response = rng.choice(
                [timedelta(hours=2), timedelta(hours=23, minutes=59), timedelta(hours=24),
                 timedelta(hours=24, microseconds=1), timedelta(hours=30), None]
            )  # fmt: skip
            session.add(
                wo(
                    f"R-{i}",
                    area,
                    received,
                    started,
                    response,
                    rng.choice(["fault", "complaint", "installation"]),
                )
            )
            if rng.random() < 0.5:
                reached = rng.random() < 0.8
                session.add(
                    CallbackRecord(
                        workflow_id=f"service-request-R-{i}", request_id=f"R-{i}",
                        area_id=area, seq=1, agent_id="CB-HF-1",
                        at=received + timedelta(days=rng.choice([0, 1, 3])),
                        reached=reached, satisfied=(rng.random() < 0.85) if reached else None,
                    )
                )  # fmt: skip
        # The boundary itself: 2026-11-01 00:00 Shanghai is November, a microsecond before is not.
        session.add(wo("EDGE-IN", areas[0], NOV_START, NOV_START, timedelta(hours=24), "complaint"))
        before = NOV_START - timedelta(microseconds=1)
        session.add(wo("EDGE-OUT", areas[0], before, before, timedelta(hours=1), "complaint"))
        for i in range(200):
            day = date(2026, 10, 1) + timedelta(days=rng.randrange(92))
            change = "gained" if rng.random() < 0.6 else "lost"
            session.add(
                SubscriptionChange(
                    area_id=rng.choice(areas), subscriber_id=f"S-{i}", change=change, changed_on=day
                )
            )
        session.commit()


def wo(
    rid: str,
    area: str,
    received: datetime,
    started: datetime | None,
    response: timedelta | None,
    kind: str,
) -> WorkOrder:
    return WorkOrder(
        request_id=rid, workflow_id=f"service-request-{rid}", kind=kind, severity="ordinary",
        channel="phone", subscriber_id="SUB-000002", area_id=area, owner_id="CTR-HF-1",
        state="closed", priority="normal", policy_version="2026.1", received_at=received,
        clock_started_at=started,
        first_response_at=(started + response) if started and response is not None else None,
    )  # fmt: skip


def month_of(moment: datetime) -> str:
    return moment.astimezone(TZ).strftime("%Y-%m")


def independent(sessions: SessionFactory, month: str) -> dict[str, dict[str, Any]]:
    """The expected numbers, counted row by row in Python (no SQL aggregation)."""
    out: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    with sessions() as session:
        for w in session.exec(select(WorkOrder)).all():
            if w.kind == "complaint" and month_of(w.received_at) == month:
                out[w.area_id]["complaints"] += 1
            if w.clock_started_at and month_of(w.clock_started_at) == month:
                out[w.area_id]["work_orders"] += 1
                fr = w.first_response_at
                if fr is not None and fr - w.clock_started_at <= timedelta(hours=24):
                    out[w.area_id]["responded_24h"] += 1
        for c in session.exec(select(CallbackRecord)).all():
            if month_of(c.at) == month and c.reached:
                out[c.area_id]["callbacks_reached"] += 1
                out[c.area_id]["callbacks_satisfied"] += int(bool(c.satisfied))
        for s in session.exec(select(SubscriptionChange)).all():
            if s.changed_on.strftime("%Y-%m") == month:
                out[s.area_id][s.change] += 1
        for a in session.exec(select(Area)).all():
            out[a.area_id]["households"] = a.households
            out[a.area_id]["growth_target"] = a.growth_target / 12
    return out


COUNTED = [
    "complaints",
    "work_orders",
    "responded_24h",
    "callbacks_reached",
    "callbacks_satisfied",
    "gained",
    "lost",
]


def test_r3_3_monthly_report_matches_independent_count(seeded: SessionFactory) -> None:
    expected = independent(seeded, "2026-11")
    with seeded() as session:
        report = monthly_report(session, POLICY, "2026-11")
    assert report.starts == NOV_START
    assert len(report.areas) == 7
    for area in report.areas:
        exp = expected[area.area_id]
        assert {k: getattr(area, k) for k in COUNTED} == {k: exp[k] for k in COUNTED}, area.area_id
        assert area.complaint_rate == pytest.approx(exp["complaints"] / exp["households"])
        if exp["work_orders"]:
            assert area.response_rate == pytest.approx(exp["responded_24h"] / exp["work_orders"])
        if exp["callbacks_reached"]:
            assert area.satisfaction == pytest.approx(
                exp["callbacks_satisfied"] / exp["callbacks_reached"]
            )
        assert area.growth_target == pytest.approx(exp["growth_target"])
        assert area.net_growth == exp["gained"] - exp["lost"]
    assert report.total.work_orders == sum(expected[a]["work_orders"] for a in expected)
    assert [p.period for p in report.trend] == [f"2026-{m:02d}" for m in range(1, 12)]
    assert report.trend[-1].counts.complaints == report.total.complaints


def test_r3_3_exactly_24_hours_counts_and_a_microsecond_more_does_not(
    seeded: SessionFactory,
) -> None:
    start = datetime(2026, 12, 10, 1, 2, 3, 456789, tzinfo=UTC)
    with seeded() as session:
        session.add(wo("ON-TIME", "A-FD-03", start, start, timedelta(hours=24), "fault"))
        session.add(
            wo("LATE", "A-FD-03", start, start, timedelta(hours=24, microseconds=1), "fault")
        )
        session.commit()
    expected = independent(seeded, "2026-12")["A-FD-03"]
    with seeded() as session:
        area = next(
            a for a in monthly_report(session, POLICY, "2026-12").areas if a.area_id == "A-FD-03"
        )
    assert (area.work_orders, area.responded_24h) == (
        expected["work_orders"],
        expected["responded_24h"],
    )


def test_r3_1_households_per_technician_flags_areas_over_the_norm(seeded: SessionFactory) -> None:
    """data/README.md: A-HF-01, A-HF-03, A-FD-01 and A-FD-03 are over their company's norm."""
    with seeded() as session:
        report = monthly_report(session, POLICY, "2026-11")
    assert report.over_norm == ["A-FD-01", "A-FD-03", "A-HF-01", "A-HF-03"]
    hf01 = next(a for a in report.areas if a.area_id == "A-HF-01")
    assert (hf01.technicians, hf01.households_per_technician, hf01.norm) == (2, 6000, 4500)


def test_r3_3_yearly_summary_is_the_sum_of_the_months(seeded: SessionFactory) -> None:
    with seeded() as session:
        year = yearly_report(session, POLICY, 2026)
        months = [monthly_report(session, POLICY, f"2026-{m:02d}") for m in range(10, 13)]
    for field in COUNTED:
        assert getattr(year.total, field) == sum(getattr(m.total, field) for m in months), field
    assert len(year.trend) == 12
    assert year.areas[0].growth_target == pytest.approx(
        next(a.growth_target for a in months[0].areas if a.area_id == year.areas[0].area_id) * 12
    )


def test_r3_3_report_renders_json_csv_and_an_offline_html_page(seeded: SessionFactory) -> None:
    with seeded() as session:
        report = monthly_report(session, POLICY, "2026-11")
    data = json.loads(to_json(report))
    assert data["period"] == "2026-11" and len(data["areas"]) == 7
    assert data["total"]["complaints"] == report.total.complaints
    rows = list(csv.DictReader(io.StringIO(to_csv(report))))
    assert [r["area_id"] for r in rows][-1] == "ALL" and len(rows) == 8
    page = to_html(report)
    # nine indicators by area (six, plus breach rate, escalations per 1,000 households and
    # certified coverage: issue 12), five trend lines (plus breach rate and escalations)
    assert page.count("<svg") == 14
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "超定额" in page and "A-HF-03" in page


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_r3_3_report_command_writes_each_format(
    seeded: SessionFactory, cli: CliRunner, tmp_path: Path
) -> None:
    result = cli.invoke(app, ["report", "monthly", "--month", "2026-11"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["period"] == "2026-11"
    out = tmp_path / "nov.html"
    result = cli.invoke(
        app, ["report", "monthly", "--month", "2026-11", "--format", "html", "--output", str(out)]
    )
    assert result.exit_code == 0 and out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    result = cli.invoke(app, ["report", "yearly", "--year", "2026", "--format", "csv"])
    assert result.exit_code == 0 and result.stdout.startswith("period,area_id")
    bad = cli.invoke(app, ["report", "monthly", "--month", "2026-13"])
    assert bad.exit_code == 1 and "YYYY-MM" in bad.stderr


def test_r3_4_subscription_changes_import_whole_file_or_nothing(
    seeded: SessionFactory, cli: CliRunner, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "area_id,subscriber_id,change,changed_on\nA-HF-01,S-1,gained,2026-11-02\nA-XX,S-2,moved,2026-11-31\n",
        encoding="utf-8",
    )
    result = cli.invoke(app, ["report", "import-changes", str(bad)])
    assert result.exit_code == 1 and "line 3, changed_on" in result.stderr
    good = tmp_path / "good.csv"
    good.write_text(
        "area_id,subscriber_id,change,changed_on\nA-HF-01,NEW-1,gained,2026-11-02\nA-HF-01,NEW-2,lost,2026-11-03\n",
        encoding="utf-8",
    )
    first = cli.invoke(app, ["report", "import-changes", str(good)])
    again = cli.invoke(app, ["report", "import-changes", str(good)])
    assert "2 inserted" in first.stdout and "0 inserted, 2 already present" in again.stdout


@pytest_asyncio.fixture
async def duty(client: Client, database_url: str) -> AsyncIterator[DutyEnv]:
    async with duty_environment(client, database_url) as env:
        yield env


async def test_r3_3_monthly_assessment_workflow_keeps_one_snapshot_per_area(duty: DutyEnv) -> None:
    seed(duty.sessions, n=100)
    for _ in range(2):  # a rerun replaces, never duplicates
        result = await duty.client.execute_workflow(
            AreaAssessment.run,
            AssessmentInput(kind=AssessmentKind.MONTHLY, period="2026-11"),
            id=f"assessment-test-{uuid.uuid4().hex[:8]}",
            task_queue=duty.task_queue,
        )
    assert result.period == "2026-11" and result.areas == 7
    assert result.over_norm == ["A-FD-01", "A-FD-03", "A-HF-01", "A-HF-03"]
    with duty.sessions() as session:
        snaps = session.exec(
            select(AssessmentSnapshot).where(AssessmentSnapshot.period == "2026-11")
        ).all()
    assert len(snaps) == 8  # seven areas and the total
    yearly = await duty.client.execute_workflow(
        AreaAssessment.run,
        AssessmentInput(kind=AssessmentKind.YEARLY),  # default: the previous year
        id=f"assessment-test-{uuid.uuid4().hex[:8]}",
        task_queue=duty.task_queue,
    )
    assert yearly.period == str(datetime.now(TZ).year - 1)
