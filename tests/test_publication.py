"""(三)5 / R3.5 / (一)5 / (一)6: a directory load that changes an area's responsible person, its
boundary or its branch head republishes the area's disclosure and sends a TV caption to the
area, recorded in the supervision timeline; outlets, hall staff and branch heads are published."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select
from typer.testing import CliRunner

from activities.db import SessionFactory, init_db
from activities.directory_load import load_directory_file
from activities.notification_tables import OutboxMessage
from activities.supervision.publication import published
from activities.supervision.tables import SupervisionEvent
from cablecare import REPO_ROOT
from cablecare.cli import app
from cablecare.settings import get_settings

SAMPLE = REPO_ROOT / "data" / "sample-directory.json"


@pytest.fixture
def loaded(database_url: str) -> Iterator[str]:
    init_db(database_url)
    report = load_directory_file(database_url, SAMPLE)
    assert report.republished == []  # the first publication is the initial posting
    yield database_url


def doc(url: str, area_id: str) -> dict[str, Any]:
    with SessionFactory(url)() as session:
        row = published(session, area_id)
        assert row is not None
        return {"version": row.version, **row.document}


def captions(url: str) -> list[OutboxMessage]:
    with SessionFactory(url)() as session:
        return list(
            session.exec(
                select(OutboxMessage).where(col(OutboxMessage.channel) == "tv_caption")
            ).all()
        )


def changed_file(tmp_path: Path, **edits: Any) -> Path:
    data = json.loads(SAMPLE.read_text(encoding="utf-8"))
    for area in data["areas"]:
        if area["area_id"] == "A-HF-02":
            area.update(edits.get("area", {}))
    for company in data["companies"]:
        if company["company_id"] == "FD":
            company.update(edits.get("fd", {}))
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_1_5_1_6_disclosure_lists_outlets_hall_staff_and_the_branch_head(loaded: str) -> None:
    d = doc(loaded, "A-HF-01")
    assert d["responsible"]["employee_number"] == "T-HF-01-1" and d["responsible"]["photo_ref"]
    assert d["branch_head"]["employee_number"] == "LDR-HF"
    outlets = {o["outlet_id"]: o for o in d["outlets"]}
    assert set(outlets) == {"OUT-HF-1", "OUT-HF-2"}
    assert outlets["OUT-HF-1"]["address"] and outlets["OUT-HF-1"]["phone"]
    hall = {p["employee_number"] for p in outlets["OUT-HF-1"]["hall_staff"]}
    assert hall == {"CTR-HF-1", "WL-HF"}
    assert all("phone" not in p for p in outlets["OUT-HF-1"]["hall_staff"])  # no private phones


def test_3_5_changed_responsible_person_republishes_and_sends_a_caption(
    loaded: str, tmp_path: Path
) -> None:
    before = doc(loaded, "A-HF-02")
    report = load_directory_file(
        loaded,
        changed_file(
            tmp_path, area={"technician_id": "T-HF-02-2", "boundary": "包河区（含滨湖新区）"}
        ),
    )
    assert report.republished == ["A-HF-02"]
    after = doc(loaded, "A-HF-02")
    assert after != before and after["version"] == before["version"] + 1
    assert after["responsible"]["employee_number"] == "T-HF-02-2"
    assert after["boundary"] == "包河区（含滨湖新区）"
    sent = captions(loaded)
    assert [(m.recipient_kind, m.recipient_id) for m in sent] == [("area", "A-HF-02")]
    assert "片区负责人" in sent[0].body and "片区范围" in sent[0].body
    with SessionFactory(loaded)() as session:
        logged = session.exec(
            select(SupervisionEvent).where(SupervisionEvent.kind == "publication_changed")
        ).all()
    assert [(e.area_id, e.branch_id) for e in logged] == [("A-HF-02", "HF")]
    # Loading the same file again changes nothing and sends nothing.
    again = load_directory_file(
        loaded,
        changed_file(
            tmp_path, area={"technician_id": "T-HF-02-2", "boundary": "包河区（含滨湖新区）"}
        ),
    )
    assert again.republished == [] and len(captions(loaded)) == 1


def test_3_5_changed_branch_head_is_announced_in_every_area_of_the_branch(
    loaded: str, tmp_path: Path
) -> None:
    report = load_directory_file(loaded, changed_file(tmp_path, fd={"head_staff_id": "BL-FD"}))
    assert report.republished == ["A-FD-01", "A-FD-02", "A-FD-03"]
    assert doc(loaded, "A-FD-02")["branch_head"]["employee_number"] == "BL-FD"
    assert sorted(m.recipient_id for m in captions(loaded)) == ["A-FD-01", "A-FD-02", "A-FD-03"]
    assert doc(loaded, "A-HF-01")["version"] == 1  # the other branch is untouched


def test_3_5_refused_load_publishes_nothing(loaded: str, tmp_path: Path) -> None:
    path = changed_file(tmp_path, area={"technician_id": "T-HF-02-2", "households": -1})
    with pytest.raises(ValueError):
        load_directory_file(loaded, path)
    assert doc(loaded, "A-HF-02")["version"] == 1 and captions(loaded) == []


def test_3_5_cli_shows_the_published_disclosure_and_the_log(
    loaded: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_directory_file(loaded, changed_file(tmp_path, area={"boundary": "新边界"}))
    monkeypatch.setenv("DATABASE_URL", loaded)
    get_settings.cache_clear()
    runner = CliRunner()
    shown = runner.invoke(app, ["supervision", "disclosure", "--area", "A-HF-02"])
    assert shown.exit_code == 0 and json.loads(shown.output)["boundary"] == "新边界"
    from datetime import UTC, datetime

    month = datetime.now(UTC).strftime("%Y-%m")
    log = runner.invoke(app, ["supervision", "log", "--month", month, "--json"])
    entries = json.loads(log.output)
    assert [e["kind"] for e in entries] == ["publication_changed"]
    fd_only = runner.invoke(
        app, ["supervision", "log", "--month", month, "--json", "--as", "SUP-FD-01"]
    )
    assert json.loads(fd_only.output) == []  # (四)2 a county supervisor does not see the city's
    get_settings.cache_clear()
