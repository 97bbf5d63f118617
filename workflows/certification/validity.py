"""R8.1 "only staff certified for a role are given cases in it", checked at the time of
assignment: a case keeps, from intake, the certificates of the staff who may act on it, and an
assignment made after a certificate expired (or was revoked) is refused with the date.

Pure (no time zones, no I/O): the intake activity turns the local dates into instants. The
ServiceRequest validators call `refuse_if_not_certified` (rules.assign).
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


class CertificateStatus(BaseModel):
    """The newest certificate of one person for one role, as the register held it at intake."""

    expires_on: date  # valid through this local date
    valid_until: datetime  # the end of that local day (24:00), as an instant
    revoked_on: date | None = None
    revoked_from: datetime | None = None  # the start of the revocation's local day


# staff id -> role -> the newest certificate
Certificates = dict[str, dict[str, CertificateStatus]]


def refuse_if_not_certified(
    certificates: Certificates, staff_id: str, role: str, now: datetime
) -> None:
    """Raise ValueError when the register holds a certificate of `staff_id` for `role` that is
    no longer valid at `now`. Staff without a register entry are judged by the roster alone
    (the directory's flag, checked by the caller)."""
    cert = certificates.get(staff_id, {}).get(role)
    if cert is None:
        return
    if cert.revoked_on is not None and cert.revoked_from is not None and now >= cert.revoked_from:
        raise ValueError(
            f"staff {staff_id}'s {role} certificate was revoked on "
            f"{cert.revoked_on.isoformat()} (R8.1)"
        )
    if now >= cert.valid_until:
        raise ValueError(
            f"staff {staff_id}'s {role} certificate expired on {cert.expires_on.isoformat()} "
            "(R8.1: only staff with a valid certificate are given cases)"
        )
