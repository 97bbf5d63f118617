"""Intake's cached directory (activities/directory_roster.py) gives the same case context as
the per-role directory queries did (R7.1, R8.1), reads the directory once per snapshot, and
sees a newly loaded directory at once (issue 15 item 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlmodel import Session, col, select

from activities import directory_queries as dq
from activities.case_activities import CaseActivities
from activities.db import SessionFactory, get_engine, init_db
from activities.directory_load import load_directory_file
from activities.directory_roster import ROSTER_ROLES, directory_snapshot, invalidate_rosters
from activities.directory_tables import Area
from activities.notifications import OutboxSender
from cablecare import REPO_ROOT
from cablecare.domain import Role
from cablecare.settings import Settings
from workflows.service_request.activity_io import PrepareCaseInput
from workflows.service_request.messages import StaffRef

SAMPLE = REPO_ROOT / "data" / "sample-directory.json"


@pytest.fixture
def loaded(database_url: str) -> str:
    init_db(database_url)
    load_directory_file(database_url, SAMPLE)
    return database_url


def _by_queries(session: Session, area: Area) -> dict[str, object]:
    """The context as prepare_case computed it before the cache: one query per role."""
    roster: dict[str, list[str]] = {}
    for role in ROSTER_ROLES:
        for staff in dq.staff_with_role(session, role, company=area.company):
            roles = sorted(set(staff.roles) & set(staff.certified_roles))
            if roles:
                roster[staff.staff_id] = roles
    certified = Role.TECHNICIAN.value in roster.get(area.technician_id, [])
    return {
        "area_technician_id": area.technician_id if certified else None,
        "supervisors": [s.staff_id for s in dq.area_supervisors(session, area.area_id)],
        "leaders": [s.staff_id for s in dq.company_leaders(session, area.company)],
        "business_leads": [s.staff_id for s in dq.business_leads(session, area.company)],
        "window_leads": [
            s.staff_id for s in dq.staff_with_role(session, Role.WINDOW_LEAD, company=area.company)
        ],
        "roster": roster,
    }


def test_cached_roster_equals_the_per_role_queries_r7_1_r8_1(loaded: str) -> None:
    invalidate_rosters()
    with Session(get_engine(loaded)) as session:
        snap = directory_snapshot(loaded, session)
        areas = session.exec(select(Area).order_by(col(Area.area_id))).all()
        assert areas
        for area in areas:
            cached = snap.area_staff(snap.areas[area.area_id])
            expected = _by_queries(session, area)
            assert {
                "area_technician_id": cached.area_technician_id,
                "supervisors": cached.supervisors,
                "leaders": cached.leaders,
                "business_leads": cached.business_leads,
                "window_leads": cached.window_leads,
                "roster": cached.roster,
            } == expected, area.area_id


def _count_queries(url: str) -> list[str]:
    statements: list[str] = []
    event.listen(
        get_engine(url),
        "before_cursor_execute",
        lambda _c, _cur, statement, *_a: statements.append(statement),
    )
    return statements


def test_prepare_case_reads_one_row_per_case_once_the_roster_is_cached(loaded: str) -> None:
    invalidate_rosters()
    sessions = SessionFactory(loaded)
    acts = CaseActivities(sessions, OutboxSender(sessions), Settings(database_url=loaded))
    data = PrepareCaseInput(
        request_id="R-1",
        subscriber_id="SUB-000002",
        received_by=[StaffRef(staff_id="CTR-HF-1", rank=1)],
    )
    first = acts.prepare_case(data)
    statements = _count_queries(loaded)
    second = acts.prepare_case(data)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1, selects  # the subscriber; staff and areas from the snapshot
    assert second == first


def test_a_directory_load_is_seen_by_the_next_case_r2_7(loaded: str, tmp_path: Path) -> None:
    """R2.7: a leader appointed by a directory load is told of the next case's major matters,
    without waiting for the cache's time limit."""
    sessions = SessionFactory(loaded)
    acts = CaseActivities(sessions, OutboxSender(sessions), Settings(database_url=loaded))
    data = PrepareCaseInput(
        request_id="R-1",
        subscriber_id="SUB-000002",
        received_by=[StaffRef(staff_id="CTR-HF-1", rank=1)],
    )
    before = acts.prepare_case(data)
    assert before.leaders
    raw = json.loads(SAMPLE.read_text())
    leader = next(p for p in raw["staff"] if p["staff_id"] == before.leaders[0])
    raw["staff"].append({**leader, "staff_id": "LDR-NEW-1"})
    changed = tmp_path / "directory.json"
    changed.write_text(json.dumps(raw))
    load_directory_file(loaded, changed)
    after = acts.prepare_case(data)
    assert after.leaders == sorted([*before.leaders, "LDR-NEW-1"])
