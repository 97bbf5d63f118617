"""(四)2 the company tree: which branch an area or a person belongs to, and what a supervisor
may see (the province all branches, a branch supervisor only their own).

An area's branch is `area.branch_id`; a directory without a company tree falls back to one
branch per company kind (`city`, `county`), so older directory files keep working.
"""

from __future__ import annotations

from pydantic import BaseModel
from sqlmodel import Session, col, select

from activities.directory_tables import Area, Staff
from activities.supervision.tables import CompanyUnit
from cablecare.domain import Role

PROVINCE = "province"


class Branch(BaseModel):
    company_id: str
    name: str
    level: str
    parent_id: str | None
    head_staff_id: str | None
    area_ids: list[str]


def branch_of_area(area: Area) -> str:
    return area.branch_id or area.company.value


def branches(session: Session) -> list[Branch]:
    """Every city company and county branch with its areas, by id."""
    areas: dict[str, list[str]] = {}
    for a in session.exec(select(Area).order_by(col(Area.area_id))).all():
        areas.setdefault(branch_of_area(a), []).append(a.area_id)
    units = {
        u.company_id: u for u in session.exec(select(CompanyUnit)).all() if u.level != PROVINCE
    }
    result = []
    for bid in sorted(set(areas) | set(units)):
        u = units.get(bid)
        result.append(
            Branch(
                company_id=bid, name=u.name if u else bid, level=u.level if u else bid,
                parent_id=u.parent_id if u else None,
                head_staff_id=u.head_staff_id if u else None, area_ids=areas.get(bid, []),
            )
        )  # fmt: skip
    return result


def company_of_staff(session: Session, staff: Staff) -> str | None:
    if staff.company_id:
        return staff.company_id
    if staff.area_id:
        area = session.get(Area, staff.area_id)
        return branch_of_area(area) if area else None
    return None


def is_province(session: Session, company_id: str | None) -> bool:
    if company_id is None:
        return False
    unit = session.get(CompanyUnit, company_id)
    return unit is not None and unit.level == PROVINCE


class ScopeError(ValueError):
    """The person may not see supervision data (unknown, or not a supervisor)."""


def visible_branches(session: Session, staff_id: str | None) -> set[str] | None:
    """(四)2 what `staff_id` may see: None = every branch (the province, or no `--as` given
    by an operator on the server itself), else the set of their branch ids."""
    if staff_id is None:
        return None
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise ScopeError(f"unknown staff {staff_id}")
    if not ({Role.SUPERVISOR.value, Role.LEADER.value} & set(staff.roles)):
        raise ScopeError(f"staff {staff_id} is not a supervisor or leader ((七)2)")
    company = company_of_staff(session, staff)
    if is_province(session, company):
        return None
    return {company} if company else set()


def province_supervisors(session: Session) -> list[str]:
    rows = session.exec(select(Staff).order_by(col(Staff.staff_id))).all()
    return [
        s.staff_id
        for s in rows
        if Role.SUPERVISOR.value in s.roles and is_province(session, s.company_id)
    ]


def branch_supervisors(session: Session, branch_id: str) -> list[str]:
    area_ids = {
        a.area_id for a in session.exec(select(Area)).all() if branch_of_area(a) == branch_id
    }
    rows = session.exec(select(Staff).order_by(col(Staff.staff_id))).all()
    return [
        s.staff_id
        for s in rows
        if Role.SUPERVISOR.value in s.roles
        and (s.company_id == branch_id or (s.company_id is None and s.area_id in area_ids))
    ]
