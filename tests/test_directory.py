"""Directory import, lookups and the staffing norm (docs/contract.md "Directory data", R3.1, R8.1).

Every test runs on SQLite and on PostgreSQL (the `database_url` fixture).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import Session, SQLModel, col, select
from typer.testing import CliRunner

from activities import directory_queries as q
from activities.db import alembic_config, get_engine, init_db
from activities.directory_load import (
    DirectoryLoadError,
    LoadReport,
    load_directory_csv,
    load_directory_file,
)
from activities.directory_tables import Area, Staff, Subscriber
from cablecare import REPO_ROOT
from cablecare.cli.directory import app as directory_app
from cablecare.domain import Company, Role
from cablecare.policy import load_policy
from cablecare.settings import get_settings

SAMPLE = REPO_ROOT / "data" / "sample-directory.json"


def sample() -> dict[str, list[dict[str, Any]]]:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


def write_json(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def write_csv_folder(folder: Path, doc: dict[str, list[dict[str, Any]]]) -> Path:
    """The sample as three CSV files, lists joined with ';' and '|' alternately."""
    folder.mkdir(parents=True, exist_ok=True)
    for section, rows in doc.items():
        fields = list(dict.fromkeys(k for row in rows for k in row))
        with (folder / f"{section}.csv").open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields)
            writer.writeheader()
            for n, row in enumerate(rows):
                cells = {}
                for key, value in row.items():
                    if isinstance(value, list):
                        value = (";" if n % 2 else "|").join(value)
                    elif isinstance(value, bool):
                        value = ("true" if value else "false") if n % 2 else str(int(value))
                    cells[key] = "" if value is None else value
                writer.writerow(cells)
    return folder


def snapshot(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every directory row, in primary-key order, as plain dicts."""
    tables: list[tuple[type[SQLModel], Any]] = [
        (Area, Area.area_id),
        (Staff, Staff.staff_id),
        (Subscriber, Subscriber.subscriber_id),
    ]
    with Session(get_engine(url)) as session:
        return {
            table.__name__: [r.model_dump() for r in session.exec(select(table).order_by(col(pk)))]
            for table, pk in tables
        }


def counts(report: LoadReport) -> dict[str, tuple[int, int, int]]:
    return {t: (c.inserted, c.updated, c.unchanged) for t, c in report.tables().items()}


@pytest.fixture
def db(database_url: str) -> str:
    init_db(database_url)
    return database_url


@pytest.fixture
def loaded(db: str) -> str:
    load_directory_file(db, SAMPLE)
    return db


# --- schema ------------------------------------------------------------------------------


def test_init_db_brings_schema_to_head_and_is_idempotent(database_url: str) -> None:
    init_db(database_url)
    init_db(database_url)  # a second call (another worker starting) changes nothing
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with get_engine(database_url).connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head
        tables = set(SQLModel.metadata.tables) & {"area", "staff", "subscriber"}
        for name in tables:
            assert get_engine(database_url).dialect.has_table(conn, name)


# --- loading -----------------------------------------------------------------------------


def test_directory_load_json_sample(db: str) -> None:
    report = load_directory_file(db, SAMPLE)
    assert counts(report) == {
        "companies": (3, 0, 0),
        "outlets": (3, 0, 0),
        "areas": (7, 0, 0),
        "staff": (34, 0, 0),
        "subscribers": (300, 0, 0),
    }


def test_directory_reload_same_file_changes_nothing(db: str) -> None:
    load_directory_file(db, SAMPLE)
    before = snapshot(db)
    report = load_directory_file(db, SAMPLE)
    assert report.changed == 0
    assert counts(report) == {
        "companies": (0, 0, 3),
        "outlets": (0, 0, 3),
        "areas": (0, 0, 7),
        "staff": (0, 0, 34),
        "subscribers": (0, 0, 300),
    }
    assert snapshot(db) == before


def test_directory_load_csv_folder_equals_json(db: str, tmp_path: Path) -> None:
    folder = write_csv_folder(tmp_path / "csv", sample())
    report = load_directory_csv(db, folder)
    assert counts(report)["subscribers"] == (300, 0, 0)
    # The same directory as JSON finds every row already identical.
    again = load_directory_file(db, SAMPLE)
    assert again.changed == 0
    assert load_directory_file(db, folder).changed == 0


def test_directory_changed_row_is_updated(loaded: str, tmp_path: Path) -> None:
    doc = sample()
    doc["subscribers"][1]["phone"] = "13800009999"
    report = load_directory_file(loaded, write_json(tmp_path / "d.json", doc))
    assert counts(report)["subscribers"] == (0, 1, 299)
    with Session(get_engine(loaded)) as session:
        sub = q.get_subscriber(session, "SUB-000002")
        assert sub is not None and sub.phone == "13800009999"


def test_directory_bad_row_in_middle_refuses_whole_file(db: str, tmp_path: Path) -> None:
    doc = sample()
    del doc["subscribers"][149]["phone"]  # row 150
    doc["staff"][4]["roles"] = ["technician", "janitor"]  # row 5
    with pytest.raises(DirectoryLoadError) as err:
        load_directory_file(db, write_json(tmp_path / "bad.json", doc))
    message = str(err.value)
    assert "subscribers row 150, field phone" in message
    assert "staff row 5, field roles" in message
    assert len(err.value.problems) == 2
    assert snapshot(db) == {"Area": [], "Staff": [], "Subscriber": []}


def test_directory_refused_file_leaves_existing_rows_unchanged(loaded: str, tmp_path: Path) -> None:
    before = snapshot(loaded)
    doc = sample()
    doc["subscribers"][0]["name"] = "改名但不应导入"
    doc["subscribers"][200]["fee_expires_on"] = "2027-02-30"
    with pytest.raises(DirectoryLoadError, match=r"subscribers row 201, field fee_expires_on"):
        load_directory_file(loaded, write_json(tmp_path / "bad.json", doc))
    assert snapshot(loaded) == before


def test_directory_csv_bad_rows_name_line_and_field(db: str, tmp_path: Path) -> None:
    doc = sample()
    doc["subscribers"][2]["hardship"] = "perhaps"
    doc["areas"][1]["setting"] = "suburban"
    folder = write_csv_folder(tmp_path / "csv", doc)
    with pytest.raises(DirectoryLoadError) as err:
        load_directory_csv(db, folder)
    message = str(err.value)
    assert "subscribers row 3 (line 4), field hardship" in message
    assert "areas row 2 (line 3), field setting" in message
    assert snapshot(db) == {"Area": [], "Staff": [], "Subscriber": []}


def test_directory_bad_ids_and_duplicates_are_refused(db: str, tmp_path: Path) -> None:
    doc = sample()
    doc["subscribers"][5]["subscriber_id"] = "SUB 000006"  # space: not [A-Za-z0-9-]
    doc["subscribers"][7]["subscriber_id"] = "SUB-000001"  # duplicate of row 1
    with pytest.raises(DirectoryLoadError) as err:
        load_directory_file(db, write_json(tmp_path / "bad.json", doc))
    assert "subscribers row 6, field subscriber_id" in str(err.value)
    assert "subscribers row 8, field subscriber_id: duplicate id" in str(err.value)


def test_directory_bad_references_are_refused(db: str, tmp_path: Path) -> None:
    doc = sample()
    doc["subscribers"][9]["area_id"] = "A-XX-99"
    doc["staff"][0]["area_id"] = "A-XX-98"
    doc["areas"][0]["technician_id"] = "T-HF-TRAINEE"  # R8.1 not certified
    doc["areas"][1]["technician_id"] = "T-NOBODY"
    with pytest.raises(DirectoryLoadError) as err:
        load_directory_file(db, write_json(tmp_path / "bad.json", doc))
    message = str(err.value)
    assert "subscribers row 10, field area_id: unknown area 'A-XX-99'" in message
    assert "staff row 1, field area_id: unknown area 'A-XX-98'" in message
    assert "areas row 1, field technician_id: staff 'T-HF-TRAINEE' is not certified" in message
    assert "areas row 2, field technician_id: unknown staff 'T-NOBODY'" in message
    assert snapshot(db)["Area"] == []


def test_directory_references_resolve_against_database(loaded: str, tmp_path: Path) -> None:
    new = dict(sample()["subscribers"][0], subscriber_id="SUB-900001", area_id="A-FD-03")
    report = load_directory_file(loaded, write_json(tmp_path / "one.json", {"subscribers": [new]}))
    assert counts(report)["subscribers"] == (1, 0, 0)


# --- lookups -----------------------------------------------------------------------------


def test_directory_lookups_by_id(loaded: str) -> None:
    with Session(get_engine(loaded)) as s:
        key = q.get_subscriber(s, "SUB-000001")
        assert key is not None and key.key_account and key.area_id == "A-HF-01"
        poor = q.get_subscriber(s, "SUB-000004")
        assert poor is not None and poor.hardship
        area = q.get_area(s, "A-FD-02")
        assert area is not None and area.setting == "rural" and area.company == Company.COUNTY
        assert q.get_staff(s, "LDR-HF") is not None
        assert q.get_subscriber(s, "SUB-999999") is None
        tech = q.responsible_technician(s, "A-HF-01")
        assert tech is not None and tech.staff_id == "T-HF-01-1"


def test_r8_1_trainee_is_not_certified_and_never_listed_for_work(loaded: str) -> None:
    with Session(get_engine(loaded)) as s:
        trainee = q.get_staff(s, "T-HF-TRAINEE")
        assert trainee is not None and "technician" in trainee.roles
        assert not q.is_certified(trainee, Role.TECHNICIAN)
        techs = [t.staff_id for t in q.staff_with_role(s, Role.TECHNICIAN, area_id="A-HF-01")]
        assert techs == ["T-HF-01-1", "T-HF-01-2"]
        everyone = q.staff_with_role(
            s, Role.TECHNICIAN, area_id="A-HF-01", include_uncertified=True
        )
        assert "T-HF-TRAINEE" in [t.staff_id for t in everyone]


def test_directory_role_lookups_by_company(loaded: str) -> None:
    with Session(get_engine(loaded)) as s:
        ids = lambda rows: [r.staff_id for r in rows]  # noqa: E731
        assert ids(q.company_leaders(s, Company.CITY)) == ["LDR-HF"]
        assert ids(q.company_leaders(s, Company.COUNTY)) == ["LDR-FD"]
        assert ids(q.business_leads(s, Company.COUNTY)) == ["BL-FD"]
        assert ids(q.staff_with_role(s, Role.COUNTER, company=Company.CITY)) == [
            "CTR-HF-1",
            "CTR-HF-2",
        ]
        assert ids(q.staff_with_role(s, Role.CALLBACK, company=Company.COUNTY)) == ["CB-FD-1"]
        assert ids(q.area_supervisors(s, "A-FD-02")) == ["SUP-FD-02"]
        assert q.area_supervisors(s, "A-NOPE") == []


def test_r7_1_area_without_supervisor_falls_back_to_company_supervisors(
    loaded: str, tmp_path: Path
) -> None:
    area = dict(sample()["areas"][6], area_id="A-FD-09", name="新区", technician_id="T-FD-03-1")
    load_directory_file(loaded, write_json(tmp_path / "a.json", {"areas": [area]}))
    with Session(get_engine(loaded)) as s:
        got = [r.staff_id for r in q.area_supervisors(s, "A-FD-09")]
    assert got == ["SUP-FD-01", "SUP-FD-02", "SUP-FD-03"]


def test_r3_1_sample_has_areas_over_and_under_the_staffing_norm(loaded: str) -> None:
    policy = load_policy(REPO_ROOT / "policy" / "sla-policy.toml")
    with Session(get_engine(loaded)) as s:
        staffing = {a.area_id: a for a in q.area_staffing(s, policy.staffing_norms)}
        over = {a for a, line in staffing.items() if line.over_norm}
        assert over == {"A-HF-01", "A-HF-03", "A-FD-01", "A-FD-03"}
        assert set(staffing) - over == {"A-HF-02", "A-HF-04", "A-FD-02"}
        assert staffing["A-HF-01"].technicians == 2  # the trainee does not count (R8.1)
        assert staffing["A-FD-02"].norm == policy.staffing_norms[Company.COUNTY]
        # R3.1: every area has one certified responsible technician; every subscriber an area.
        for area in s.exec(select(Area)).all():
            assert q.responsible_technician(s, area.area_id) is not None
        areas = set(staffing)
        assert {sub.area_id for sub in s.exec(select(Subscriber)).all()} <= areas


# --- command -----------------------------------------------------------------------------


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


def test_cli_directory_load_creates_schema_and_reports_counts(cli_env: str) -> None:
    runner = CliRunner()
    first = runner.invoke(directory_app, ["load", str(SAMPLE)])
    assert first.exit_code == 0, first.stderr
    assert "subscribers" in first.stdout and "300" in first.stdout
    second = runner.invoke(directory_app, ["load", str(SAMPLE)])
    assert second.exit_code == 0
    line = next(x for x in second.stdout.splitlines() if x.startswith("subscribers"))
    assert line.split()[1:] == ["0", "0", "300"]


def test_cli_directory_load_bad_file_exits_2_with_rows_on_stderr(
    cli_env: str, tmp_path: Path
) -> None:
    doc = sample()
    doc["staff"][2]["rank"] = -1
    result = CliRunner().invoke(directory_app, ["load", str(write_json(tmp_path / "b.json", doc))])
    assert result.exit_code == 2
    assert "staff row 3, field rank" in result.stderr
    assert snapshot(cli_env)["Staff"] == []
