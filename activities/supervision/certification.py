"""The certification register ((七)2c, (八), R8.1): certificates issued after training and
assessment (role, issued, expires, by whom), renewals (a newer certificate), revocations.

How it meets the directory's `certified_roles` flag: for a person and a role the register
holds a certificate for, the register decides (valid from its issue date through its expiry
date, unless revoked). For a role with no register entry the directory's flag still counts, as
the operator's legacy record; a person added to the directory without the flag (a new hire)
is uncertified until `cablecare staff certify`.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlmodel import Session, col, select

from activities.directory_tables import Area, Staff
from activities.supervision.tables import Certification, SupervisionEvent
from cablecare.domain import Role
from workflows.certification.validity import Certificates, CertificateStatus


class RegisterError(ValueError):
    """A refused register change, with the reason."""


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def newest(
    session: Session, staff_ids: list[str] | None = None
) -> dict[str, dict[str, Certification]]:
    """staff id -> role -> the newest certificate (by issue date) in the register."""
    query = select(Certification).order_by(col(Certification.issued_on))
    if staff_ids is not None:
        query = query.where(col(Certification.staff_id).in_(staff_ids))
    result: dict[str, dict[str, Certification]] = {}
    for c in session.exec(query).all():
        result.setdefault(c.staff_id, {})[c.role] = c  # later issue dates overwrite
    return result


def is_valid(cert: Certification, on: date) -> bool:
    revoked = cert.revoked_on is not None and cert.revoked_on <= on
    return cert.issued_on <= on <= cert.expires_on and not revoked


def certified_roles(staff: Staff, register: dict[str, Certification], on: date) -> list[str]:
    """R8.1 the roles a person may act in on `on`: held, and certified (register or flag)."""
    roles = []
    for role in staff.roles:
        cert = register.get(role)
        ok = is_valid(cert, on) if cert is not None else role in staff.certified_roles
        if ok:
            roles.append(role)
    return sorted(set(roles))


def case_certificates(register: dict[str, dict[str, Certification]], timezone: str) -> Certificates:
    """The register as a case keeps it (R8.1 checked again at assignment), local days made
    instants so the workflow needs no time zone."""
    zone = ZoneInfo(timezone)

    def start(day: date) -> datetime:
        return datetime.combine(day, time(), zone).astimezone(UTC)

    return {
        staff_id: {
            role: CertificateStatus(
                expires_on=c.expires_on, valid_until=start(c.expires_on + timedelta(days=1)),
                revoked_on=c.revoked_on,
                revoked_from=start(c.revoked_on) if c.revoked_on else None,
            )
            for role, c in roles.items()
        }
        for staff_id, roles in register.items()
    }  # fmt: skip


def _may_certify(session: Session, by: str) -> None:
    """(七)2c training, assessment and certificates are the supervision office's work."""
    staff = session.get(Staff, by)
    if staff is None:
        raise RegisterError(f"unknown staff {by}")
    if not ({Role.SUPERVISOR.value, Role.LEADER.value} & set(staff.roles)):
        raise RegisterError(
            f"staff {by} is not a supervisor or leader and may not certify ((七)2c)"
        )


def certify(
    session: Session, *, staff_id: str, role: Role, issued_on: date, by: str,
    validity_months: int, assessment: str = "", expires_on: date | None = None,
) -> Certification:  # fmt: skip
    """Issue (or renew) a certificate after training and assessment. Idempotent per
    (staff, role, issue date)."""
    _may_certify(session, by)
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise RegisterError(f"unknown staff {staff_id}")
    if role.value not in staff.roles:
        raise RegisterError(f"staff {staff_id} does not hold the role {role.value}")
    expires = expires_on or add_months(issued_on, validity_months) - timedelta(days=1)
    if expires < issued_on:
        raise RegisterError(f"expiry {expires.isoformat()} is before the issue date")
    existing = session.exec(
        select(Certification).where(
            Certification.staff_id == staff_id,
            Certification.role == role.value,
            Certification.issued_on == issued_on,
        )
    ).first()
    if existing is not None:
        return existing
    cert = Certification(
        staff_id=staff_id, role=role.value, issued_on=issued_on, expires_on=expires,
        issued_by=by, assessment=assessment,
    )  # fmt: skip
    session.add(cert)
    _log(session, staff, f"certified/{staff_id}/{role.value}/{issued_on}", "certified", by,
         f"{role.value} certificate issued {issued_on}, valid through {expires}")  # fmt: skip
    return cert


def revoke(
    session: Session, *, staff_id: str, role: Role, on: date, by: str, reason: str
) -> Certification:
    _may_certify(session, by)
    if not reason.strip():
        raise RegisterError("say why the certificate is revoked")
    cert = newest(session, [staff_id]).get(staff_id, {}).get(role.value)
    if cert is None:
        raise RegisterError(f"staff {staff_id} holds no {role.value} certificate in the register")
    if cert.revoked_on is not None:
        raise RegisterError(f"it was already revoked on {cert.revoked_on.isoformat()}")
    cert.revoked_on, cert.revoked_by, cert.revoke_reason = on, by, reason.strip()
    session.add(cert)
    staff = session.get(Staff, staff_id)
    assert staff is not None
    _log(session, staff, f"revoked/{staff_id}/{role.value}/{cert.issued_on}", "revoked", by,
         f"{role.value} certificate of {cert.issued_on} revoked from {on}")  # fmt: skip
    return cert


def _log(session: Session, staff: Staff, key: str, kind: str, by: str, detail: str) -> None:
    from activities.supervision.org import company_of_staff

    if session.exec(select(SupervisionEvent.id).where(SupervisionEvent.key == key)).first():
        return
    session.add(
        SupervisionEvent(
            key=key, at=datetime.now(UTC), kind=kind, branch_id=company_of_staff(session, staff),
            area_id=staff.area_id, by=by, detail=f"staff {staff.staff_id}: {detail}",
        )
    )  # fmt: skip


class Coverage(BaseModel):
    """(七)2c certified coverage of an area: people whose certifiable roles are all valid."""

    area_id: str
    staff: int  # people holding a role that needs a certificate
    certified: int

    @property
    def share(self) -> float | None:
        return self.certified / self.staff if self.staff else None


def coverage(session: Session, needed: list[str], on: date) -> dict[str, Coverage]:
    register = newest(session)
    result = {
        a: Coverage(area_id=a, staff=0, certified=0)
        for a in session.exec(select(Area.area_id)).all()
    }
    for s in session.exec(select(Staff)).all():
        roles = [r for r in s.roles if r in needed]
        if not roles or s.area_id not in result:
            continue
        ok = set(certified_roles(s, register.get(s.staff_id, {}), on))
        result[s.area_id].staff += 1
        result[s.area_id].certified += int(all(r in ok for r in roles))
    return result
