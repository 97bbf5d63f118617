"""Intake's cached directory (activities/intake_directory.py, issue 15 item 2): the same case
context as the per-role queries it replaces (R7.1, R8.1, (四)4, the certification register),
one statement per warm case (the subscriber), and a directory reload, a register change or
any other write of the cached tables is seen by the very next case."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event
from sqlmodel import Session, col, select

from activities import directory_queries as dq
from activities.case_activities import CaseActivities
from activities.case_records import CaseRecordActivities
from activities.db import SessionFactory, get_engine, init_db
from activities.directory_load import load_directory_file
from activities.directory_tables import Area, Staff, Subscriber
from activities.intake_directory import ROSTER_ROLES, directory_snapshot, invalidate_directory
from activities.notifications import OutboxSender
from activities.supervision import certification
from cablecare import REPO_ROOT
from cablecare.domain import CaseState, Kind, Role, Severity
from cablecare.policy import current_policy
from cablecare.settings import Settings
from workflows.service_request.activity_io import PrepareCaseInput, RecordCaseInput, WorkOrderData
from workflows.service_request.messages import StaffRef
from workflows.service_request.state import CaseContext

SAMPLE = REPO_ROOT / "data" / "sample-directory.json"


def _richer_directory(tmp_path: Path) -> Path:
    """The sample directory plus what it lacks: an area without supervisors (R7.1 falls back to
    the company's), network staff, staff without an area, a trainee, an area whose network is
    not built ((四)4), a subscriber that overrides it."""
    data = json.loads(SAMPLE.read_text(encoding="utf-8"))
    area = dict(data["areas"][0])
    area.update(area_id="A-HF-09", technician_id="T-HF-09-1", network_built=False)
    data["areas"].append(area)
    base = data["staff"][0]
    extra = [
        ("T-HF-09-1", "A-HF-09", ["technician"], ["technician"]),
        ("NET-HF-1", "A-HF-02", ["network"], ["network"]),
        ("NET-HF-2", "A-HF-09", ["network", "technician"], ["network"]),
        ("DSP-NOAREA", None, ["dispatcher", "supervisor"], ["dispatcher", "supervisor"]),
        ("CTR-FD-TRAINEE", "A-FD-02", ["counter"], []),
    ]
    for staff_id, area_id, roles, certified in extra:
        row = dict(base)
        row.update(staff_id=staff_id, area_id=area_id, roles=roles, certified_roles=certified)
        row["photo_ref"] = f"photos/{staff_id}.jpg"
        data["staff"].append(row)
    for n, built in ((901, None), (902, True)):
        sub = dict(data["subscribers"][0])
        sub.update(subscriber_id=f"SUB-000{n}", area_id="A-HF-09", network_built=built)
        data["subscribers"].append(sub)
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _register(url: str, today: date) -> None:
    """R8.1 register entries of every kind: valid, expired, revoked, renewed, not yet valid."""
    with Session(get_engine(url)) as session:

        def certify(staff_id: str, role: Role, issued: date, expires: date) -> None:
            certification.certify(
                session, staff_id=staff_id, role=role, issued_on=issued, by="SUP-HF-01",
                validity_months=24, expires_on=expires,
            )  # fmt: skip

        year = timedelta(days=365)
        certify("T-HF-01-1", Role.TECHNICIAN, today - year, today + year)  # valid
        certify("T-HF-02-1", Role.TECHNICIAN, today - 2 * year, today - timedelta(days=1))
        certify("T-FD-01-1", Role.TECHNICIAN, today - year, today + year)  # revoked below
        certify("T-HF-TRAINEE", Role.TECHNICIAN, today - year, today + year)  # trainee passed
        certify("NET-HF-2", Role.TECHNICIAN, today + timedelta(days=3), today + year)  # future
        certify("CB-FD-1", Role.CALLBACK, today - 2 * year, today - year)  # expired...
        certify("CB-FD-1", Role.CALLBACK, today - timedelta(days=2), today + year)  # renewed
        session.commit()
        certification.revoke(
            session, staff_id="T-FD-01-1", role=Role.TECHNICIAN, on=today, by="SUP-FD-01",
            reason="test",
        )  # fmt: skip
        session.commit()


@pytest.fixture
def loaded(database_url: str, tmp_path: Path) -> Iterator[str]:
    init_db(database_url)
    load_directory_file(database_url, _richer_directory(tmp_path))
    invalidate_directory()
    yield database_url
    invalidate_directory()


def _activities(url: str) -> CaseActivities:
    sessions = SessionFactory(url)
    return CaseActivities(sessions, OutboxSender(sessions), Settings(database_url=url))


def _by_queries(session: Session, area: Area, timezone: str) -> dict[str, Any]:
    """The directory part of the context as prepare_case computed it before the cache (main at
    20afba3): one query per role, the register of the candidates."""
    candidates = {
        staff.staff_id: staff
        for role in ROSTER_ROLES
        for staff in dq.staff_with_role(
            session, role, company=area.company, include_uncertified=True
        )
    }
    register = certification.newest(session, list(candidates))
    today = datetime.now(ZoneInfo(timezone)).date()
    roster: dict[str, list[str]] = {}
    for staff_id, staff in candidates.items():
        roles = certification.certified_roles(staff, register.get(staff_id, {}), today)
        if roles:
            roster[staff_id] = roles
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
        "certificates": certification.case_certificates(register, timezone),
    }


def _context_fields(ctx: CaseContext) -> dict[str, Any]:
    keys = ("area_technician_id", "supervisors", "leaders", "business_leads", "window_leads",
            "roster", "certificates")  # fmt: skip
    return {key: getattr(ctx, key) for key in keys}


def _intake(subscriber_id: str, staff_id: str = "CTR-HF-1") -> PrepareCaseInput:
    return PrepareCaseInput(
        request_id="R-1",
        subscriber_id=subscriber_id,
        received_by=[StaffRef(staff_id=staff_id, rank=1)],
    )


def test_cached_context_equals_the_per_role_queries_for_every_area_r7_1_r8_1(
    loaded: str,
) -> None:
    activities = _activities(loaded)
    timezone = current_policy(activities.settings.policy_path).timezone
    today = datetime.now(ZoneInfo(timezone)).date()
    _register(loaded, today)
    snap = directory_snapshot(activities.sessions)
    with Session(get_engine(loaded)) as session:
        areas = session.exec(select(Area).order_by(col(Area.area_id))).all()
        assert len(areas) == 8
        seen_fallback = seen_network = seen_certificates = False
        for area in areas:
            expected = _by_queries(session, area, timezone)
            cached = snap.area_context(area.area_id, timezone, today)
            assert {k: getattr(cached, k) for k in expected} == expected, area.area_id
            # The whole case context, through the activity, for a subscriber of the area.
            subscriber = session.exec(
                select(Subscriber).where(Subscriber.area_id == area.area_id).limit(1)
            ).first()
            assert subscriber is not None
            ctx = activities.prepare_case(_intake(subscriber.subscriber_id))
            assert ctx.policy.timezone == timezone
            assert _context_fields(ctx) == expected, area.area_id
            assert ctx.area_id == area.area_id and ctx.company == area.company
            seen_fallback |= area.area_id == "A-HF-09" and ctx.supervisors != []
            seen_network |= any("network" in r for r in ctx.roster.values())
            seen_certificates |= bool(ctx.certificates)
    assert seen_fallback and seen_network and seen_certificates
    # (四)4 the subscriber's own flag, else its area's.
    assert activities.prepare_case(_intake("SUB-000901")).network_built is False
    assert activities.prepare_case(_intake("SUB-000902")).network_built is True
    assert activities.prepare_case(_intake("SUB-000001")).network_built is True


class _Statements:
    def __init__(self, url: str) -> None:
        self.engine = get_engine(url)
        self.seen: list[str] = []

    def __enter__(self) -> _Statements:
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, _c: Any, _cur: Any, statement: str, *_: Any) -> None:
        self.seen.append(statement)


def _flush(url: str) -> None:
    """One record_case flush (work order row): a write of other tables keeps the cache."""
    now = datetime.now(ZoneInfo("UTC"))
    CaseRecordActivities(SessionFactory(url))._write(
        RecordCaseInput(
            step=1,
            work_order=WorkOrderData(
                request_id="R-9", workflow_id="service-request-R-9", kind=Kind.FAULT,
                severity=Severity.ORDINARY, channel="phone", subscriber_id="SUB-000002",
                area_id="A-HF-01", owner_id="CTR-HF-1", technician_id="T-HF-01-1",
                state=CaseState.ASSIGNED, priority="normal", policy_version="2026.1",
                received_at=now, clock_started_at=now, due_at=now + timedelta(hours=24),
                breached=False, first_response_at=None, resolved_at=None, closed_at=None,
                reopened_count=0,
            ),
        )
    )  # fmt: skip


def test_one_statement_per_warm_case_issue_15(loaded: str) -> None:
    activities = _activities(loaded)
    with _Statements(loaded) as cold:
        first = activities.prepare_case(_intake("SUB-000002"))
    with _Statements(loaded) as warm:
        second = activities.prepare_case(_intake("SUB-000005"))  # another area, same snapshot
    assert len(cold.seen) == 4, cold.seen  # subscriber, areas, staff, register
    assert len(warm.seen) == 1 and "subscriber" in warm.seen[0], warm.seen
    assert first.area_id != second.area_id
    _flush(loaded)
    with _Statements(loaded) as after_flush:
        activities.prepare_case(_intake("SUB-000002"))
    assert len(after_flush.seen) == 1, after_flush.seen


def test_reload_register_change_and_direct_writes_are_seen_at_once(
    loaded: str, tmp_path: Path
) -> None:
    activities = _activities(loaded)
    before = activities.prepare_case(_intake("SUB-000001"))
    assert before.area_technician_id == "T-HF-01-1" and before.supervisors == ["SUP-HF-01"]

    # A directory reload: area A-HF-01 gets another responsible technician (R3.1).
    data = json.loads(_richer_directory(tmp_path).read_text(encoding="utf-8"))
    data["areas"][0]["technician_id"] = "T-HF-01-2"
    path = tmp_path / "reloaded.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    load_directory_file(loaded, path)
    assert activities.prepare_case(_intake("SUB-000001")).area_technician_id == "T-HF-01-2"

    # The register: revoking the technician's certificate takes him off the case (R8.1).
    today = datetime.now(ZoneInfo(current_policy(activities.settings.policy_path).timezone)).date()
    with Session(get_engine(loaded)) as session:
        certification.certify(
            session, staff_id="T-HF-01-2", role=Role.TECHNICIAN, issued_on=today,
            by="SUP-HF-01", validity_months=24,
        )  # fmt: skip
        session.commit()
    assert "T-HF-01-2" in activities.prepare_case(_intake("SUB-000001")).certificates
    with Session(get_engine(loaded)) as session:
        certification.revoke(
            session, staff_id="T-HF-01-2", role=Role.TECHNICIAN, on=today, by="SUP-HF-01",
            reason="test",
        )  # fmt: skip
        session.commit()
    after = activities.prepare_case(_intake("SUB-000001"))
    assert after.area_technician_id is None and "T-HF-01-2" not in after.roster

    # Any other write of the staff table in this process (an edit by hand, a future CLI).
    with Session(get_engine(loaded)) as session:
        staff = session.get(Staff, "SUP-HF-01")
        assert staff is not None
        staff.roles = ["technician"]
        session.add(staff)
        session.commit()
    # R7.1 the area has no supervisor left: those of its company.
    assert activities.prepare_case(_intake("SUB-000001")).supervisors == [
        "SUP-HF-02", "SUP-HF-03", "SUP-HF-04"
    ]  # fmt: skip

    # A person added by another process (raw DB-API: no SQLAlchemy event in this one) is not
    # refused as unknown: a received_by id missing from the snapshot reads it again.
    raw = get_engine(loaded).raw_connection()
    try:
        raw.cursor().execute(
            "INSERT INTO staff (staff_id, name, rank, roles, area_id, certified_roles, phone)"
            " VALUES ('CTR-NEW', 'x', 1, '[\"counter\"]', 'A-HF-01', '[\"counter\"]', '')"
        )
        raw.commit()
    finally:
        raw.close()
    with _Statements(loaded) as seen:
        assert activities.prepare_case(_intake("SUB-000001", "CTR-NEW")).area_id == "A-HF-01"
    assert len(seen.seen) == 4, seen.seen
    assert activities.prepare_case(_intake("SUB-000001", "CTR-NEW")).area_id == "A-HF-01"
