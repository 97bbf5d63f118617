"""Calibration: a workload file estimated from the application database's case records.

Arrivals per household, by hour and weekday, the mix of kinds, severities and channels come
from work orders; travel, repair, parts and desk times from the case timelines (CaseEvent);
reach, satisfaction and problems from callback records (R5.3). What the records cannot tell
(technician shifts and counts, holiday factor) is kept from the base workload. A figure with
too few observations keeps the base value too; `fitted` says which were estimated.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from activities.case_tables import CallbackRecord, CaseEvent, WorkOrder
from activities.db import get_engine
from activities.directory_tables import Area
from cablecare.domain import Kind
from cablecare.simulate.generate import month_window
from cablecare.simulate.workload import FIELD_KINDS, Workload

MIN_SAMPLES = 5


def parse_months(value: str) -> tuple[str, str]:
    """`2026-09..2026-11` (or one month)."""
    first, _, last = value.partition("..")
    return first, last or first


def _months(first: str, last: str) -> list[str]:
    y, m = (int(p) for p in first.split("-"))
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    if not out:
        raise ValueError(f"no month from {first} to {last}")
    return out


def _lognormal(samples: list[float]) -> dict[str, float] | None:
    xs = [math.log(x) for x in samples if x > 0]
    if len(xs) < MIN_SAMPLES:
        return None
    return {"median": round(math.exp(statistics.fmean(xs)), 4),
            "sigma": round(min(statistics.stdev(xs), 3.0), 4)}  # fmt: skip


def _utc(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)  # SQLite hands back naive UTC


def fit_workload(
    base: Workload, database_url: str, months: str, *, request_prefix: str = ""
) -> tuple[Workload, list[str]]:
    first, last = parse_months(months)
    names = _months(first, last)
    start = month_window(names[0], base.timezone).start
    end = month_window(names[-1], base.timezone).end
    tz = ZoneInfo(base.timezone)
    data: dict[str, Any] = base.model_dump(mode="json")
    fitted: list[str] = []
    with Session(get_engine(database_url)) as session:
        orders = [
            o
            for o in session.exec(select(WorkOrder)).all()
            if o.request_id.startswith(request_prefix) and start <= _utc(o.received_at) < end
        ]
        if len(orders) < MIN_SAMPLES:
            raise ValueError(
                f"only {len(orders)} work orders received in {months}: too few to fit a workload"
            )
        ids = {o.request_id for o in orders}
        households = sum(a.households for a in session.exec(select(Area)).all())
        events: dict[str, list[CaseEvent]] = defaultdict(list)
        for e in session.exec(select(CaseEvent).order_by(col(CaseEvent.seq))).all():
            if e.request_id in ids:
                events[e.request_id].append(e)
        calls = [c for c in session.exec(select(CallbackRecord)).all() if c.request_id in ids]

    days = (end - start).total_seconds() / 86400
    if households:
        data["arrivals"]["per_1000_households_per_day"] = round(
            len(orders) / days / households * 1000 / base.scale, 6
        )
        fitted.append("arrivals.per_1000_households_per_day")
    local = [_utc(o.received_at).astimezone(tz) for o in orders]
    hours = Counter(t.hour for t in local)
    weekdays = Counter(t.weekday() for t in local)
    # Smoothed so that an hour nobody called in keeps a little weight.
    data["arrivals"]["hour_of_day"] = [round((hours[h] + 0.5) / (len(local) / 24 + 0.5), 4)
                                       for h in range(24)]  # fmt: skip
    data["arrivals"]["day_of_week"] = [round((weekdays[d] + 0.5) / (len(local) / 7 + 0.5), 4)
                                       for d in range(7)]  # fmt: skip
    fitted += ["arrivals.hour_of_day", "arrivals.day_of_week"]
    kinds = Counter(o.kind for o in orders)
    data["mix"] = {k.value: round(kinds[k.value] / len(orders), 6) for k in Kind}
    fitted.append("mix")
    for kind in ("fault", "complaint"):
        of_kind = [o for o in orders if o.kind == kind]
        if len(of_kind) >= MIN_SAMPLES:
            data["severity"][kind] = round(
                sum(1 for o in of_kind if o.severity == "major") / len(of_kind), 6
            )
            fitted.append(f"severity.{kind}")
    channels = Counter(o.channel for o in orders)
    data["channels"] = {c: round(n / len(orders), 6) for c, n in sorted(channels.items())}
    fitted.append("channels")

    def gaps(first_type: str, then_type: str, who: list[str]) -> list[float]:
        """Hours from each `first_type` event to the next `then_type` event of the same case."""
        out = []
        for rid in who:
            pending: datetime | None = None
            for e in events.get(rid, []):
                if e.type == first_type and pending is None:
                    pending = _utc(e.at)
                elif e.type == then_type and pending is not None:
                    out.append((_utc(e.at) - pending).total_seconds() / 3600)
                    pending = None
        return out

    with_materials = [o for o in orders if o.kind in ("installation", "restoration")]
    missing = [o.request_id for o in with_materials
               if any(e.type == "materials.missing" for e in events[o.request_id])]  # fmt: skip
    if len(with_materials) >= MIN_SAMPLES:
        data["materials"]["incomplete_share"] = round(len(missing) / len(with_materials), 6)
        fitted.append("materials.incomplete_share")
    if (d := _lognormal(gaps("materials.missing", "clock.started", missing))) is not None:
        data["materials"]["bring_hours"] = d
        fitted.append("materials.bring_hours")

    for kind in FIELD_KINDS:
        ids_k = [o.request_id for o in orders if o.kind == kind.value]
        if len(ids_k) < MIN_SAMPLES or kind.value not in data["field"]:
            continue
        f = data["field"][kind.value]
        if d := _lognormal([h * 60 for h in gaps("progress.en_route", "progress.on_site", ids_k)]):
            f["travel_minutes"] = d
        if d := _lognormal([h * 60 for h in gaps("progress.on_site", "resolved", ids_k)]):
            f["repair_minutes"] = d
        if d := _lognormal(gaps("progress.waiting_parts", "progress.en_route", ids_k)):
            f["parts_hours"] = d
        f["not_home"] = round(
            sum(1 for o in orders if o.kind == kind.value and o.state == "deemed_completed")
            / len(ids_k),
            6,
        )
        f["missing_parts"] = round(
            sum(1 for r in ids_k if any(e.type == "progress.waiting_parts" for e in events[r]))
            / len(ids_k),
            6,
        )
        fitted.append(f"field.{kind.value}")

    complaints = [o.request_id for o in orders if o.kind == "complaint"]
    consultations = [o.request_id for o in orders if o.kind == "consultation"]
    for key, samples in (
        ("acknowledge_hours", gaps("received", "acknowledged", complaints)),
        ("complaint_answer_hours", gaps("acknowledged", "resolved", complaints)),
        ("consultation_hours", gaps("received", "resolved", consultations)),
    ):
        if (d := _lognormal(samples)) is not None:
            data["desk"][key] = d
            fitted.append(f"desk.{key}")

    if len(calls) >= MIN_SAMPLES:
        reached = [c for c in calls if c.reached]
        data["callbacks"]["reach"] = round(len(reached) / len(calls), 6)
        if reached:
            data["callbacks"]["satisfied"] = round(
                sum(1 for c in reached if c.satisfied) / len(reached), 6
            )
            data["callbacks"]["problem_found"] = round(
                sum(1 for c in reached if c.problem_found) / len(reached), 6
            )
        fitted.append("callbacks.reach/satisfied/problem_found")
    if d := _lognormal(gaps("resolved", "callback", [o.request_id for o in orders])):
        data["callbacks"]["delay_hours"] = d
        fitted.append("callbacks.delay_hours")

    data["version"] = f"fit-{first}..{last}"
    return Workload.model_validate(data), fitted


__all__ = ["fit_workload", "parse_months", "timedelta"]
