"""One directory read per case at intake: areas, staff and the certification register, cached
per process and database (issue 15 item 2).

`prepare_case` used to run about 13 queries per case (the area, the staff of the company once
per roster role, the area's supervisors, leaders, business leads, window leads, the register of
the candidates), reloading the same few dozen rows for every case. Those three tables are small
(hundreds of rows) and change only when a directory file is loaded or the register is edited,
so they are read in one snapshot (three queries) and each area's part of the case context is
derived from it once per day; a warm case reads only its subscriber row.

Derivation keeps the semantics of the per-role queries: the same filter as
`directory_queries.staff_with_role` (`holding_role`), R7.1's fallback to the company's
supervisors, and R8.1's `certification.certified_roles` / `case_certificates` over the same
register rows. tests/test_intake_directory.py compares it with the per-role queries for every
area of the sample directory.

Freshness:
- every write to `area`, `staff` or `certification` through SQLAlchemy in this process (the
  directory load, `cablecare staff certify/revoke`, the register activities, anything else)
  drops the snapshots when it is executed and again when it commits (engine events below),
  and a snapshot read while such a write was in flight is not kept;
- `load_directory_*` also calls `invalidate_directory()` after its commit (explicit);
- a write by *another* process (the CLI next to a running worker) is seen within
  `DIRECTORY_TTL` seconds; a subscriber whose area, or a `received_by` staff id, is missing
  from the snapshot makes intake read the directory again at once, so a new area or person
  is never refused as unknown.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine, event
from sqlmodel import Session, col, select

from activities.db import SessionFactory
from activities.directory_queries import holding_role
from activities.directory_tables import Area, Staff
from activities.supervision import certification
from activities.supervision.tables import Certification
from cablecare.domain import Role
from workflows.certification.validity import Certificates

# Short: a change made by another process reaches new cases within this bound.
DIRECTORY_TTL = 10.0

# Roles a case's roster needs for its validators (R8.1: only certified staff act in a role).
ROSTER_ROLES = (
    Role.TECHNICIAN,
    Role.DISPATCHER,
    Role.CALLBACK,
    Role.SUPERVISOR,
    Role.LEADER,
    Role.BUSINESS_LEAD,
    Role.WINDOW_LEAD,
    Role.COUNTER,
    Role.NETWORK,
)


@dataclass(frozen=True)
class AreaContext:
    """The directory part of a case's CaseContext for cases of one area on one local day."""

    area_technician_id: str | None
    supervisors: list[str]
    leaders: list[str]
    business_leads: list[str]
    window_leads: list[str]
    roster: dict[str, list[str]]
    certificates: Certificates


@dataclass
class DirectorySnapshot:
    """Detached rows of `area`, `staff` (by staff_id) and the newest certificates per person
    and role; read-only once built."""

    areas: dict[str, Area]
    staff: list[Staff]
    register: dict[str, dict[str, Certification]]
    loaded_at: float
    staff_ids: frozenset[str] = frozenset()
    _derived: dict[tuple[str, str, date], AreaContext] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.staff_ids = frozenset(s.staff_id for s in self.staff)

    def area_context(self, area_id: str, timezone: str, today: date) -> AreaContext:
        key = (area_id, timezone, today)
        with self._lock:
            found = self._derived.get(key)
        if found is None:
            found = self._derive(self.areas[area_id], timezone, today)
            with self._lock:
                self._derived[key] = found
        return found

    def _derive(self, area: Area, timezone: str, today: date) -> AreaContext:
        company_areas = {a.area_id for a in self.areas.values() if a.company == area.company}
        # staff_with_role(company=...): through the staff member's area; no area, no company.
        company = [s for s in self.staff if s.area_id in company_areas]
        local = [s for s in self.staff if s.area_id == area.area_id]

        def ids(role: Role, rows: list[Staff]) -> list[str]:
            return [s.staff_id for s in holding_role(rows, role)]

        candidates = {
            s.staff_id: s
            for role in ROSTER_ROLES
            for s in holding_role(company, role, include_uncertified=True)
        }
        register = {k: v for k, v in self.register.items() if k in candidates}
        roster: dict[str, list[str]] = {}
        for staff_id in sorted(candidates):
            roles = certification.certified_roles(
                candidates[staff_id], register.get(staff_id, {}), today
            )
            if roles:
                roster[staff_id] = roles
        # R8.1 never auto-assign to someone not certified as a technician
        certified = Role.TECHNICIAN.value in roster.get(area.technician_id, [])
        return AreaContext(
            area_technician_id=area.technician_id if certified else None,
            # R7.1: the area's supervisors; if it has none, those of the same company.
            supervisors=ids(Role.SUPERVISOR, local) or ids(Role.SUPERVISOR, company),
            leaders=ids(Role.LEADER, company),  # R2.7, R4.6, R9.4
            business_leads=ids(Role.BUSINESS_LEAD, company),  # R4.5
            window_leads=ids(Role.WINDOW_LEAD, company),
            roster=roster,
            certificates=certification.case_certificates(register, timezone),
        )


def _read(sessions: SessionFactory) -> DirectorySnapshot:
    """Three queries in a session of its own (nothing in it is ever committed or expired)."""
    with Session(sessions.engine) as session:
        areas = {a.area_id: a for a in session.exec(select(Area)).all()}
        staff = list(session.exec(select(Staff).order_by(col(Staff.staff_id))).all())
        register = certification.newest(session)
    return DirectorySnapshot(areas=areas, staff=staff, register=register, loaded_at=_now())


def _now() -> float:
    return time.monotonic()


_lock = threading.Lock()
_generation = 0  # bumped by every invalidation: a snapshot read across one is not kept
_snapshots: dict[str, DirectorySnapshot] = {}  # by database URL


def directory_snapshot(sessions: SessionFactory, *, fresh: bool = False) -> DirectorySnapshot:
    """The cached snapshot of `sessions`' database; read again when older than DIRECTORY_TTL,
    after an invalidation, or when `fresh`."""
    with _lock:
        snap = _snapshots.get(sessions.url)
        generation = _generation
    if not fresh and snap is not None and _now() - snap.loaded_at < DIRECTORY_TTL:
        return snap
    snap = _read(sessions)
    with _lock:
        if generation == _generation:  # no write of these tables ran meanwhile
            _snapshots[sessions.url] = snap
    return snap


def invalidate_directory() -> None:
    """Forget every snapshot: the next case reads the directory again."""
    global _generation
    with _lock:
        _generation += 1
        _snapshots.clear()


# A statement that changes one of the cached tables, as SQLAlchemy (ORM flush or Core) and
# Alembic emit it. Identifiers only: bound values never reach the statement text.
_WRITES = re.compile(
    r"""^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?|DROP\s+TABLE
    (?:\s+IF\s+EXISTS)?|ALTER\s+TABLE)\s+(?:[\w"]+\.)?"?(?:staff|area|certification)"?(?:\s|\(|$)""",
    re.IGNORECASE | re.VERBOSE,
)
_WRITTEN = "cablecare.directory_written"


@event.listens_for(Engine, "after_cursor_execute")
def _watch_writes(
    conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
) -> None:
    if not statement.startswith(("SELECT", "select")) and _WRITES.match(statement):
        conn.info[_WRITTEN] = True
        invalidate_directory()


@event.listens_for(Engine, "commit")
def _on_commit(conn: Any) -> None:
    if conn.info.pop(_WRITTEN, False):
        invalidate_directory()  # again: a snapshot read before the commit saw the old rows


@event.listens_for(Engine, "rollback")
def _on_rollback(conn: Any) -> None:
    if conn.info.pop(_WRITTEN, False):
        invalidate_directory()
