"""The seeded month: which requests arrive, when, from whom (R3.1 areas, R9.2 24 h intake).

Same workload, directory, window and seed: the same requests, in the same order. What each
customer and staff member later does is drawn from a stream of its own per request (`draws`),
so that a what-if (another policy, one more technician) meets the same customers: the
comparison measures the change, not the luck.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from cablecare import REPO_ROOT
from cablecare.calendar import BusinessCalendar
from cablecare.domain import Channel, Kind, Role, Severity
from cablecare.simulate.workload import Workload

DEFAULT_DIRECTORY = REPO_ROOT / "data" / "sample-directory.json"


@dataclass(frozen=True)
class AreaInfo:
    area_id: str
    setting: str
    company: str
    households: int
    technicians: list[str]  # certified technicians of the directory (R8.1)
    subscribers: list[tuple[str, bool]]  # (subscriber id, key account)


@dataclass(frozen=True)
class Directory:
    """The parts of a directory file a simulation needs: no names, phones or addresses."""

    path: Path
    areas: dict[str, AreaInfo]
    receivers: dict[str, str]  # company -> a counter staff id who receives requests (R2.1)


def load_directory(path: Path | None = None) -> Directory:
    path = path or DEFAULT_DIRECTORY
    raw = json.loads(path.read_text(encoding="utf-8"))
    company = {a["area_id"]: a["company"] for a in raw["areas"]}
    techs: dict[str, list[str]] = {a["area_id"]: [] for a in raw["areas"]}
    receivers: dict[str, str] = {}
    for s in raw["staff"]:
        certified = set(s.get("roles", [])) & set(s.get("certified_roles", []))
        area = s.get("area_id")
        if Role.TECHNICIAN.value in certified and area in techs:
            techs[area].append(s["staff_id"])
        if Role.COUNTER.value in certified and area in company:
            receivers.setdefault(company[area], s["staff_id"])
    subs: dict[str, list[tuple[str, bool]]] = {a["area_id"]: [] for a in raw["areas"]}
    for sub in raw["subscribers"]:
        if sub["area_id"] in subs:
            subs[sub["area_id"]].append((sub["subscriber_id"], bool(sub.get("key_account"))))
    areas = {
        a["area_id"]: AreaInfo(
            area_id=a["area_id"],
            setting=a["setting"],
            company=a["company"],
            households=int(a.get("households", 0)),
            technicians=techs[a["area_id"]],
            subscribers=subs[a["area_id"]],
        )
        for a in raw["areas"]
        if subs[a["area_id"]]  # an area without subscribers gets no requests
    }
    return Directory(path=path, areas=areas, receivers=receivers)


@dataclass(frozen=True)
class Arrival:
    """One request as it reaches the service desk."""

    seq: int
    request_id: str
    at: datetime  # local time of the operator
    area_id: str
    subscriber_id: str
    key_account: bool
    kind: Kind
    severity: Severity
    channel: Channel
    received_by: str
    incomplete: bool  # R2.5: arrives with materials missing (kinds that need any)


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    label: str


def month_window(month: str, timezone: str) -> Window:
    """`2026-11` as local midnight to local midnight."""
    try:
        year, mon = (int(p) for p in month.split("-"))
        first = date(year, mon, 1)
    except ValueError:
        raise ValueError(f"month must look like 2026-11, got {month!r}") from None
    nxt = date(year + mon // 12, mon % 12 + 1, 1)
    tz = ZoneInfo(timezone)
    return Window(
        datetime.combine(first, time(0), tzinfo=tz),
        datetime.combine(nxt, time(0), tzinfo=tz),
        month,
    )


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def day_factor(workload: Workload, calendar: BusinessCalendar, d: date) -> float:
    """Day-of-week weight; a national holiday (a weekday off) and a declared working weekend
    day (调休) follow the business calendar, not the weekday."""
    a = workload.arrivals
    mean = sum(a.day_of_week) / 7
    working = calendar.is_working_day(d)
    if not working and d.weekday() < 5:
        return a.holiday_factor
    if working and d.weekday() >= 5:
        return sum(a.day_of_week[:5]) / 5 / mean
    return a.day_of_week[d.weekday()] / mean


def generate(
    workload: Workload,
    directory: Directory,
    calendar: BusinessCalendar,
    window: Window,
    seed: int,
    *,
    id_prefix: str = "SIM",
) -> list[Arrival]:
    """Arrivals per area and hour: a Poisson process whose rate follows households, hour of
    day, day of week and holidays."""
    rng = random.Random(seed)
    a = workload.arrivals
    hour_mean = sum(a.hour_of_day) / 24
    mix = {k.value: w for k, w in workload.mix.items() if w > 0}
    channels = {c.value: w for c, w in workload.channels.items() if w > 0}
    out: list[Arrival] = []
    tz = ZoneInfo(workload.timezone)
    day = window.start.astimezone(tz).date()
    while datetime.combine(day, time(0), tzinfo=tz) < window.end:
        factor = day_factor(workload, calendar, day)
        for area in directory.areas.values():
            staffing = workload.technicians.areas.get(area.area_id)
            per_day = (
                a.per_1000_households_per_day
                * area.households
                / 1000
                * workload.scale
                * (staffing.arrival_factor if staffing else 1.0)
                * factor
            )
            weights = [a.key_account_weight if key else 1.0 for _, key in area.subscribers]
            for hour in range(24):
                rate = per_day * a.hour_of_day[hour] / hour_mean / 24  # per hour
                if rate <= 0:
                    continue
                t = rng.expovariate(rate)
                while t < 1.0:
                    at = datetime.combine(day, time(hour), tzinfo=tz) + timedelta(hours=t)
                    t += rng.expovariate(rate)
                    if not window.start <= at < window.end:
                        continue
                    sub, key = rng.choices(area.subscribers, weights=weights)[0]
                    kind = Kind(_weighted(rng, mix))
                    major = rng.random() < workload.severity.get(kind, 0.0)
                    channel = Channel(_weighted(rng, channels))
                    incomplete = rng.random() < workload.materials.incomplete_share
                    # Whole seconds: the same instants on the server and here.
                    at = at.replace(microsecond=0)
                    out.append(
                        Arrival(
                            seq=0,
                            request_id="",
                            at=at,
                            area_id=area.area_id,
                            subscriber_id=sub,
                            key_account=key,
                            kind=kind,
                            severity=Severity.MAJOR if major else Severity.ORDINARY,
                            channel=channel,
                            received_by=directory.receivers[area.company],
                            incomplete=incomplete,
                        )
                    )
        day += timedelta(days=1)
    out.sort(key=lambda r: (r.at, r.area_id))
    return [
        Arrival(**{**r.__dict__, "seq": i, "request_id": f"{id_prefix}-{seed}-{i:06d}"})
        for i, r in enumerate(out)
    ]


def draws(seed: int, arrival: Arrival, step: str) -> random.Random:
    """The random stream of one request's `step` (travel, repair, callback 2, ...)."""
    return random.Random(f"{seed}/{arrival.seq}/{step}")
