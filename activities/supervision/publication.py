"""(三)5 / (一)5 / (一)6 / (三)2 what each area publishes, and republication on change.

The published document of an area holds its responsible person (employee number, photo
reference), its boundary and phones, the head of its branch, and the branch's outlets with
their hall staff. A directory load that changes it stores a new version; when the change is
one the regulation says must be announced at once (the responsible person, the boundary, the
branch head: (三)5, R3.5) a TV caption goes to the area and the change enters the supervision
log. All in the directory load's own transaction: a refused load publishes nothing.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from activities.directory_tables import Area, Staff
from activities.notification_tables import OutboxMessage
from activities.supervision.tables import (
    CompanyUnit,
    Outlet,
    PublishedDisclosure,
    SupervisionEvent,
)

# (三)5 the changes that are announced at once; anything else is republished quietly.
ANNOUNCED = {
    "responsible": "片区负责人",
    "boundary": "片区范围",
    "branch_head": "分公司负责人",
}
CAPTION_TEMPLATE = "disclosure_changed"
CAPTION_ZH = (
    "【公示变更】{area_name}服务区{changes}已变更，详见营业厅公示及服务电话{service_phone}。"
)


def _person(staff: Staff | None) -> dict[str, Any] | None:
    if staff is None:
        return None
    # (一)6 / R3.2 employee number (the staff id), name and photo reference; never the phone
    # of anyone but the area's responsible person, which the regulation publishes.
    return {"employee_number": staff.staff_id, "name": staff.name, "photo_ref": staff.photo_ref}


def branch_outlets(session: Session, branch_id: str | None) -> list[dict[str, Any]]:
    """(一)5 every outlet of the branch, with (一)6 its hall staff."""
    if branch_id is None:
        return []
    outlets = session.exec(
        select(Outlet).where(Outlet.company_id == branch_id).order_by(col(Outlet.outlet_id))
    ).all()
    result = []
    for o in outlets:
        staff = session.exec(
            select(Staff).where(Staff.outlet_id == o.outlet_id).order_by(col(Staff.staff_id))
        ).all()
        result.append(
            {
                "outlet_id": o.outlet_id, "name": o.name, "address": o.address,
                "phone": o.phone, "hours": o.hours,
                "hall_staff": [_person(s) for s in staff],
            }
        )  # fmt: skip
    return result


def area_document(session: Session, area: Area) -> dict[str, Any]:
    """The published disclosure of one area (R3.2, (三)2, (三)5, (一)5, (一)6)."""
    tech = session.get(Staff, area.technician_id)
    branch = session.get(CompanyUnit, area.branch_id) if area.branch_id else None
    head = session.get(Staff, branch.head_staff_id) if branch and branch.head_staff_id else None
    responsible = _person(tech)
    if responsible is not None and tech is not None:
        responsible["phone"] = tech.phone  # (三)2 the area's service person is reachable
    return {
        "area_id": area.area_id,
        "area_name": area.name,
        "boundary": area.boundary,
        "service_phone": area.service_phone,
        "supervision_phone": area.supervision_phone,
        "responsible": responsible,
        "branch": None
        if branch is None
        else {"company_id": branch.company_id, "name": branch.name, "phone": branch.phone},
        "branch_head": _person(head),
        "outlets": branch_outlets(session, area.branch_id),
    }


def _fingerprint(doc: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _changed(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return [k for k in ANNOUNCED if old.get(k) != new.get(k)]


def republish_changed(session: Session, now: datetime | None = None) -> list[str]:
    """Publish every area whose document differs from the published one; return the areas
    whose announced items changed (a caption and a log entry were written for them)."""
    now = now or datetime.now(UTC)
    announced: list[str] = []
    for area in session.exec(select(Area).order_by(col(Area.area_id))).all():
        doc = area_document(session, area)
        fp = _fingerprint(doc)
        scope = f"area:{area.area_id}"
        current = session.get(PublishedDisclosure, scope)
        if current is None:
            session.add(
                PublishedDisclosure(scope_id=scope, fingerprint=fp, published_at=now, document=doc)
            )
            continue  # the first publication is the initial posting, not a change
        if current.fingerprint == fp:
            continue
        changes = _changed(dict(current.document), doc)
        current.version += 1
        current.fingerprint, current.published_at, current.document = fp, now, doc
        session.add(current)
        if changes:
            _announce(session, area, current.version, changes, now)
            announced.append(area.area_id)
    return announced


def _announce(
    session: Session, area: Area, version: int, changes: list[str], now: datetime
) -> None:
    key = f"publication/{area.area_id}/v{version}"
    words = "、".join(ANNOUNCED[c] for c in changes)
    params = {
        "area_name": area.name,
        "area_id": area.area_id,
        "changes": words,
        "service_phone": area.service_phone,
    }
    exists = session.exec(select(OutboxMessage.id).where(OutboxMessage.key == key)).first()
    if exists is None:
        session.add(
            OutboxMessage(
                key=key, channel="tv_caption", recipient_kind="area", recipient_id=area.area_id,
                template=CAPTION_TEMPLATE, params=params, body=CAPTION_ZH.format(**params),
                created_at=now,
            )
        )  # fmt: skip
    # (七)2d in the supervision timeline: ids and what changed, no names.
    log_key = f"publication/{area.area_id}/v{version}"
    if session.exec(select(SupervisionEvent.id).where(SupervisionEvent.key == log_key)).first():
        return
    session.add(
        SupervisionEvent(
            key=log_key, at=now, kind="publication_changed", branch_id=area.branch_id,
            area_id=area.area_id, detail=f"v{version}: {', '.join(changes)} changed; "
            "disclosure republished, TV caption sent to the area",
        )
    )  # fmt: skip


def published(session: Session, area_id: str) -> PublishedDisclosure | None:
    return session.get(PublishedDisclosure, f"area:{area_id}")


__all__ = ["area_document", "published", "republish_changed"]
