"""One directory read per case at intake: staff and areas cached per process (issue 15).

`prepare_case` used to run about 13 queries per case, reloading the same few dozen staff rows
for every role. The staff and area tables are small (hundreds of rows) and change only when a
directory file is loaded, so they are read once into an immutable snapshot that lives for
`ROSTER_TTL` seconds; a case then reads only its subscriber row.

Freshness: `load_directory_*` calls `invalidate_rosters()` after its commit, which drops the
snapshot of every database in this process at once. A directory loaded by *another* process
(the `cablecare directory load` command next to a running worker) is seen within the TTL.
Staff named in `received_by` but missing from the snapshot are looked up in the database, so a
person added a moment ago is never refused as unknown.

The derived lists keep the semantics of activities/directory_queries.py (R7.1, R8.1) and are
checked against it by the rule tests (same CaseContext as before).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from sqlmodel import Session, select

from activities.directory_queries import CERTIFIED_WORK_ROLES
from activities.directory_tables import Area, Staff
from cablecare.domain import Company, Role, Setting

# Short: a directory change made by another process reaches new cases within this bound.
ROSTER_TTL = 30.0

# Roles a case's roster needs for its validators (R8.1: only certified staff act in a role).
ROSTER_ROLES = frozenset(
    {
        Role.TECHNICIAN,
        Role.DISPATCHER,
        Role.CALLBACK,
        Role.SUPERVISOR,
        Role.LEADER,
        Role.BUSINESS_LEAD,
        Role.WINDOW_LEAD,
        Role.COUNTER,
    }
)


@dataclass(frozen=True)
class StaffEntry:
    staff_id: str
    area_id: str | None
    roles: frozenset[str]
    certified_roles: frozenset[str]

    def holds(self, role: Role) -> bool:
        """R8.1, as directory_queries.is_certified: the role and, for work, its certificate."""
        if role.value not in self.roles:
            return False
        return role not in CERTIFIED_WORK_ROLES or role.value in self.certified_roles

    def certified(self) -> list[str]:
        """R8.1: the roles the person both holds and is certified for."""
        return sorted(self.roles & self.certified_roles)


@dataclass(frozen=True)
class AreaEntry:
    area_id: str
    company: Company
    setting: Setting
    technician_id: str


@dataclass(frozen=True)
class AreaStaff:
    """What intake copies into a case of one area (CaseContext's directory fields)."""

    area_technician_id: str | None
    supervisors: list[str]
    leaders: list[str]
    business_leads: list[str]
    window_leads: list[str]
    roster: dict[str, list[str]]


@dataclass
class Snapshot:
    areas: dict[str, AreaEntry]
    staff: dict[str, StaffEntry]  # by staff_id, sorted
    loaded_at: float
    _by_area: dict[str, AreaStaff] = field(default_factory=dict)

    def area_staff(self, area: AreaEntry) -> AreaStaff:
        found = self._by_area.get(area.area_id)
        if found is None:
            found = self._by_area[area.area_id] = self._derive(area)
        return found

    def _derive(self, area: AreaEntry) -> AreaStaff:
        company_areas = {a.area_id for a in self.areas.values() if a.company == area.company}
        # Staff without an area belong to no company (directory_queries.staff_with_role).
        company = [s for s in self.staff.values() if s.area_id in company_areas]

        def ids(role: Role, people: list[StaffEntry]) -> list[str]:
            return [s.staff_id for s in people if s.holds(role)]

        roster = {
            s.staff_id: s.certified()
            for s in company
            if s.certified() and any(s.holds(r) for r in ROSTER_ROLES)
        }
        # R8.1 never auto-assign to someone not certified as a technician
        tech = area.technician_id
        local = [s for s in company if s.area_id == area.area_id]
        return AreaStaff(
            area_technician_id=tech if Role.TECHNICIAN.value in roster.get(tech, []) else None,
            # R7.1: the area's supervisors; if it has none, those of the same company.
            supervisors=ids(Role.SUPERVISOR, local) or ids(Role.SUPERVISOR, company),
            leaders=ids(Role.LEADER, company),
            business_leads=ids(Role.BUSINESS_LEAD, company),
            window_leads=ids(Role.WINDOW_LEAD, company),
            roster=roster,
        )


def _read(session: Session) -> Snapshot:
    """Two queries: every area and every staff member."""
    # Only the columns intake needs: no names or phones are held in memory.
    area_rows = session.exec(select(Area.area_id, Area.company, Area.setting, Area.technician_id))
    areas = {
        area_id: AreaEntry(area_id, Company(company), Setting(setting), technician_id)
        for area_id, company, setting, technician_id in area_rows.all()
    }
    staff_rows = session.exec(
        select(Staff.staff_id, Staff.area_id, Staff.roles, Staff.certified_roles)
    ).all()
    staff = {
        staff_id: StaffEntry(staff_id, area_id, frozenset(roles), frozenset(certified))
        for staff_id, area_id, roles, certified in sorted(staff_rows, key=lambda r: r[0])
    }
    return Snapshot(areas, staff, time.monotonic())


_lock = threading.Lock()
_snapshots: dict[str, Snapshot] = {}  # by database URL


def directory_snapshot(url: str, session: Session) -> Snapshot:
    """The cached staff/area snapshot of database `url`, re-read after ROSTER_TTL seconds or
    after `invalidate_rosters()`."""
    with _lock:
        snap = _snapshots.get(url)
    if snap is not None and time.monotonic() - snap.loaded_at < ROSTER_TTL:
        return snap
    snap = _read(session)
    with _lock:
        _snapshots[url] = snap
    return snap


def invalidate_rosters() -> None:
    """Forget every snapshot: the next case reads the directory again (after a load)."""
    with _lock:
        _snapshots.clear()
