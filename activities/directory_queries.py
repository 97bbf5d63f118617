"""Directory lookups for activities: who is responsible, who is certified, who is told.

Plain functions over a `Session`; they return table rows, which activities map to payload
models before anything crosses the Temporal boundary (docs/conventions.md #3).
Role lists are JSON columns, so role filters run in Python: the directory is small
(hundreds of staff), and this keeps one code path for SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel
from sqlmodel import Session, col, select

from activities.directory_tables import Area, Staff, Subscriber
from cablecare.domain import Company, Role

# R8.1: the roles that are *work* (cases are given to the person) need a certificate.
# Authority roles (supervisor, leader, business lead, window lead) are held by appointment.
CERTIFIED_WORK_ROLES = frozenset({Role.COUNTER, Role.TECHNICIAN, Role.CALLBACK, Role.DISPATCHER})


def get_subscriber(session: Session, subscriber_id: str) -> Subscriber | None:
    return session.get(Subscriber, subscriber_id)


def get_area(session: Session, area_id: str) -> Area | None:
    return session.get(Area, area_id)


def get_staff(session: Session, staff_id: str) -> Staff | None:
    return session.get(Staff, staff_id)


def is_certified(staff: Staff, role: Role) -> bool:
    """R8.1: holds the role and, for work roles, the certificate for it."""
    if role.value not in staff.roles:
        return False
    return role not in CERTIFIED_WORK_ROLES or role.value in staff.certified_roles


def staff_with_role(
    session: Session,
    role: Role,
    *,
    area_id: str | None = None,
    company: Company | None = None,
    include_uncertified: bool = False,
) -> list[Staff]:
    """Staff holding `role`, by staff_id. For work roles only the certified ones (R8.1),
    unless `include_uncertified` (e.g. to list trainees). `company` goes through the staff
    member's area; staff without an area belong to no company."""
    query = select(Staff)
    if area_id is not None:
        query = query.where(Staff.area_id == area_id)
    if company is not None:
        areas = select(Area.area_id).where(Area.company == company)
        query = query.where(col(Staff.area_id).in_(areas))
    rows = session.exec(query.order_by(col(Staff.staff_id))).all()
    return holding_role(rows, role, include_uncertified=include_uncertified)


def holding_role(
    rows: Iterable[Staff], role: Role, *, include_uncertified: bool = False
) -> list[Staff]:
    """The filter of `staff_with_role` over rows already read (intake's cached directory,
    activities/intake_directory.py, uses the same one)."""
    if include_uncertified:
        return [s for s in rows if role.value in s.roles]
    return [s for s in rows if is_certified(s, role)]


def responsible_technician(session: Session, area_id: str) -> Staff | None:
    """R3.1: the area's one responsible maintenance person, if still certified (R8.1)."""
    area = get_area(session, area_id)
    if area is None:
        return None
    staff = get_staff(session, area.technician_id)
    return staff if staff is not None and is_certified(staff, Role.TECHNICIAN) else None


def area_supervisors(session: Session, area_id: str) -> list[Staff]:
    """R7.1: the supervisors of the area; if it has none, those of the same company."""
    area = get_area(session, area_id)
    if area is None:
        return []
    local = staff_with_role(session, Role.SUPERVISOR, area_id=area_id)
    return local or staff_with_role(session, Role.SUPERVISOR, company=area.company)


def company_leaders(session: Session, company: Company) -> list[Staff]:
    """R2.7, R4.6, R9.4: the leaders told of major matters and asked for approvals."""
    return staff_with_role(session, Role.LEADER, company=company)


def business_leads(session: Session, company: Company) -> list[Staff]:
    """R4.5: the business leads who receive a technician's written report."""
    return staff_with_role(session, Role.BUSINESS_LEAD, company=company)


class AreaStaffing(BaseModel):
    """R3.1: households per certified technician of an area against the company's norm."""

    area_id: str
    company: Company
    households: int
    technicians: int
    households_per_technician: float
    norm: int

    @property
    def over_norm(self) -> bool:
        return self.households_per_technician > self.norm


def area_staffing(session: Session, norms: dict[Company, int]) -> list[AreaStaffing]:
    """R3.1: one line per area; an area without a certified technician is over any norm."""
    technicians: dict[str, int] = {}
    for staff in staff_with_role(session, Role.TECHNICIAN):
        if staff.area_id is not None:
            technicians[staff.area_id] = technicians.get(staff.area_id, 0) + 1
    result = []
    for area in session.exec(select(Area).order_by(col(Area.area_id))).all():
        count = technicians.get(area.area_id, 0)
        result.append(
            AreaStaffing(
                area_id=area.area_id,
                company=area.company,
                households=area.households,
                technicians=count,
                households_per_technician=area.households / count if count else float("inf"),
                norm=norms[area.company],
            )
        )
    return result
