"""R3.4: import subscriber gains and losses from the billing system's CSV export.

Columns: `area_id, subscriber_id, change (gained|lost), changed_on (YYYY-MM-DD, local date)`.
The file is imported whole or not at all; re-importing it changes nothing (unique key).
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from sqlmodel import select

from activities.db import SessionFactory
from activities.directory_tables import Area
from activities.duty_common import insert_ignore
from activities.duty_tables import SubscriptionChange

COLUMNS = ("area_id", "subscriber_id", "change", "changed_on")
CHANGES = ("gained", "lost")


class SubscriptionImportError(ValueError):
    """A refused file; the message lists every bad line with its field."""


def import_subscription_changes(url: str, path: Path) -> tuple[int, int]:
    """Returns (inserted, already present)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise SubscriptionImportError(f"{path}: missing column(s) {', '.join(missing)}")
            raw = list(reader)
    except OSError as exc:
        raise SubscriptionImportError(f"{path}: {exc.strerror or exc}") from exc
    sessions = SessionFactory(url)
    with sessions() as session:
        areas = set(session.exec(select(Area.area_id)).all())
        rows, problems = [], []
        for line, r in enumerate(raw, start=2):
            try:
                changed_on = date.fromisoformat((r["changed_on"] or "").strip())
            except ValueError:
                problems.append(f"line {line}, changed_on: {r['changed_on']!r} is not YYYY-MM-DD")
                continue
            change = (r["change"] or "").strip()
            if change not in CHANGES:
                problems.append(f"line {line}, change: {change!r} is not gained or lost")
            area_id = (r["area_id"] or "").strip()
            if area_id not in areas:
                problems.append(f"line {line}, area_id: unknown area {area_id!r}")
            subscriber_id = (r["subscriber_id"] or "").strip()
            if not subscriber_id:
                problems.append(f"line {line}, subscriber_id: empty")
            rows.append(
                {"area_id": area_id, "subscriber_id": subscriber_id, "change": change,
                 "changed_on": changed_on}
            )  # fmt: skip
        if problems:
            raise SubscriptionImportError(
                f"{path} refused, nothing imported:\n  " + "\n  ".join(problems)
            )
        inserted = sum(
            insert_ignore(session, SubscriptionChange, rows[i : i + 500])
            for i in range(0, len(rows), 500)
        )
        session.commit()
    return inserted, len(rows) - inserted
