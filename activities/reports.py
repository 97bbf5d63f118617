"""R3.3 / R3.4 / R3.1 area assessment by SQL aggregation: the same numbers on SQLite and
PostgreSQL, one million work orders in seconds.

Per area and period:
- complaint rate = complaints received in the period / the area's households (R3.3);
- 24-hour response rate = share of work orders whose clock started in the period with
  `first_response_at - clock_started_at <= 24 h` (R3.3);
- satisfaction = satisfied / reached callbacks made in the period (R3.3, R5.3);
- subscribers gained and lost against the yearly growth target, pro-rated per month (R3.4);
- households per certified technician against the company's norm, flagged over it (R3.1);
- breach rate = work orders whose clock started in the period and breached their limit / those
  work orders (R4.7); escalations per 1,000 households = violations escalated in the period
  (breach, acknowledgement, callback, appointment: not the R7.3 early warnings nor the R2.7 /
  R4.5 reports) per 1,000 households of the area (issue 12);
- with the supervision policy: each area scored against its (三)3 targets, the targets it
  missed and the reward/penalty category, and the certified coverage of its staff (R8.1).

Periods are the operator's local months (Asia/Shanghai by default). Each table is scanned once
for a whole run of months: a CASE over the month boundaries buckets every row, so the yearly
summary and the monthly report's year-to-date trend cost one query per table. The database
returns only integer counts; rates are divided here, so both databases give identical results.
Households and technicians are the directory's current figures (the directory keeps no history).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from sqlalchemy import and_, case, func, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from activities.case_tables import CallbackRecord, EscalationRecord, WorkOrder
from activities.directory_queries import area_staffing
from activities.directory_tables import Area
from activities.duty_tables import SubscriptionChange
from cablecare.domain import Kind
from cablecare.policy import SlaPolicy
from cablecare.timefmt import machine

RESPONSE_HOURS = 24  # R3.3 "24-hour work-order response rate"
# Escalations that are violations (R4.7, R9.2, R5.1, R9.7), counted per 1,000 households.
VIOLATION_ESCALATIONS = ("breach", "acknowledge_overdue", "callback_overdue", "appointment_missed")
TOTAL = "ALL"


class ReportKind(StrEnum):
    MONTHLY = "monthly"
    YEARLY = "yearly"


class Counts(BaseModel):
    """What the database counts: integers only."""

    complaints: int = 0
    work_orders: int = 0  # clock started in the period
    responded_24h: int = 0
    callbacks_reached: int = 0
    callbacks_satisfied: int = 0
    gained: int = 0
    lost: int = 0
    breached: int = 0  # of the work orders, those that breached their limit (R4.7)
    escalations: int = 0  # violation escalations in the period

    def __add__(self, other: Counts) -> Counts:
        return Counts(**{k: getattr(self, k) + getattr(other, k) for k in Counts.model_fields})


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


class AreaAssessment(Counts):
    area_id: str
    name: str = ""
    company: str = ""
    households: int = 0
    technicians: int = 0
    norm: int = 0
    growth_target: float = 0.0  # pro-rated to the period (R3.4)
    branch_id: str = ""  # (四)2
    # (三)3 scoring against the supervision policy's targets (filled by supervision.scoring)
    targets_missed: list[str] = Field(default_factory=list)
    targets_assessed: int = 0
    category: str | None = None
    category_zh: str | None = None
    # R8.1 / (七)2c people holding a role that needs a certificate, and those certified
    staff_needing_certificate: int = 0
    staff_certified: int = 0

    @property
    def complaint_rate(self) -> float | None:
        return _ratio(self.complaints, self.households)

    @property
    def response_rate(self) -> float | None:
        return _ratio(self.responded_24h, self.work_orders)

    @property
    def satisfaction(self) -> float | None:
        return _ratio(self.callbacks_satisfied, self.callbacks_reached)

    @property
    def net_growth(self) -> int:
        return self.gained - self.lost

    @property
    def growth_attainment(self) -> float | None:
        return _ratio(self.net_growth, self.growth_target)

    @property
    def households_per_technician(self) -> float | None:
        return _ratio(self.households, self.technicians)

    @property
    def breach_rate(self) -> float | None:
        return _ratio(self.breached, self.work_orders)

    @property
    def escalations_per_1000(self) -> float | None:
        return _ratio(self.escalations * 1000, self.households)

    @property
    def certified_coverage(self) -> float | None:
        return _ratio(self.staff_certified, self.staff_needing_certificate)

    @property
    def over_norm(self) -> bool:
        """R3.1: an area with no certified technician is over any norm."""
        per = self.households_per_technician
        return per is None or per > self.norm if self.norm else False

    def row(self) -> dict[str, Any]:
        """Counts and derived figures, flat: one JSON object or CSV line."""
        data = self.model_dump()
        for name in (
            "complaint_rate",
            "response_rate",
            "satisfaction",
            "net_growth",
            "growth_attainment",
            "households_per_technician",
            "over_norm",
            "breach_rate",
            "escalations_per_1000",
            "certified_coverage",
        ):
            data[name] = getattr(self, name)
        return data


class TrendPoint(BaseModel):
    period: str
    counts: Counts
    households: int

    @property
    def complaint_rate(self) -> float | None:
        return _ratio(self.counts.complaints, self.households)

    @property
    def response_rate(self) -> float | None:
        return _ratio(self.counts.responded_24h, self.counts.work_orders)

    @property
    def satisfaction(self) -> float | None:
        return _ratio(self.counts.callbacks_satisfied, self.counts.callbacks_reached)

    @property
    def breach_rate(self) -> float | None:
        return _ratio(self.counts.breached, self.counts.work_orders)

    @property
    def escalations_per_1000(self) -> float | None:
        return _ratio(self.counts.escalations * 1000, self.households)


class AssessmentReport(BaseModel):
    kind: ReportKind
    period: str
    timezone: str
    starts: datetime
    ends: datetime
    policy_version: str
    computed_at: datetime
    areas: list[AreaAssessment]
    total: AreaAssessment
    trend: list[TrendPoint] = Field(default_factory=list)  # the months of the year so far
    scope: list[str] | None = None  # (四)2 the branches shown; None: the whole province
    targets: dict[str, float] = Field(default_factory=dict)  # (三)3 as scored
    categories: list[dict[str, Any]] = Field(default_factory=list)  # max_missed -> category
    supervision_policy_version: str | None = None

    @property
    def over_norm(self) -> list[str]:
        return [a.area_id for a in self.areas if a.over_norm]

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "period": self.period,
            "timezone": self.timezone,
            "starts": machine(self.starts),  # 13.6: machine payloads in UTC Z
            "ends": machine(self.ends),
            "policy_version": self.policy_version,
            "computed_at": machine(self.computed_at),
            "areas": [a.row() for a in self.areas],
            "total": self.total.row(),
            "over_norm": self.over_norm,
            "scope": self.scope,
            "targets": self.targets,
            "categories": self.categories,
            "supervision_policy_version": self.supervision_policy_version,
            "trend": [
                {
                    "period": p.period,
                    **p.counts.model_dump(),
                    "complaint_rate": p.complaint_rate,
                    "response_rate": p.response_rate,
                    "satisfaction": p.satisfaction,
                    "breach_rate": p.breach_rate,
                    "escalations_per_1000": p.escalations_per_1000,
                }
                for p in self.trend
            ],
        }


# --- periods ---------------------------------------------------------------------------------
def parse_month(value: str) -> tuple[int, int]:
    try:
        year, month = (int(p) for p in value.split("-"))
        date(year, month, 1)
    except ValueError:
        raise ValueError(f"month {value!r} is not YYYY-MM, e.g. 2026-11") from None
    return year, month


def month_starts(year: int, first: int, last: int) -> list[date]:
    """The first day of months `first`..`last` of `year`, plus the first day after them."""
    days = [date(year, m, 1) for m in range(first, last + 1)]
    return days + [date(year + 1, 1, 1) if last == 12 else date(year, last + 1, 1)]


def _midnights(days: list[date], tz: str) -> list[datetime]:
    zone = ZoneInfo(tz)
    return [datetime(d.year, d.month, d.day, tzinfo=zone).astimezone(UTC) for d in days]


# --- SQL ---------------------------------------------------------------------------------------
def _bucket(column: Any, bounds: list[Any]) -> Any:
    """The index of the period a value falls in (the WHERE clause keeps the range): a balanced
    tree of CASEs, so a row costs about log2(periods) comparisons, not one per period."""

    def tree(lo: int, hi: int) -> Any:  # periods lo..hi-1, with bounds[lo]..bounds[hi]
        if hi - lo == 1:
            return literal(lo)
        mid = (lo + hi) // 2
        return case((column < bounds[mid], tree(lo, mid)), else_=tree(mid, hi))

    return tree(0, len(bounds) - 1)


class _Scan(ColumnElement[Any]):
    """A column the SQLite planner must not answer from an index (`+column`, SQLite's own
    idiom). A report reads most of a table, grouped by area: a full scan with a small GROUP BY
    tree is several times faster than walking the area or date index and fetching each row
    from it, which is what SQLite picks otherwise. Other databases see the plain column."""

    inherit_cache = True

    def __init__(self, column: Any) -> None:
        self.column = column
        self.type = column.type

    @property
    def _from_objects(self) -> Any:  # the FROM clause still comes from the column's table
        return self.column._from_objects


@compiles(_Scan)
def _scan_default(element: _Scan, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.column, **kw))


@compiles(_Scan, "sqlite")
def _scan_sqlite(element: _Scan, compiler: Any, **kw: Any) -> str:
    return "+" + str(compiler.process(element.column, **kw))


def _in_range(column: Any, bounds: list[Any]) -> ColumnElement[bool]:
    return and_(column >= bounds[0], column < bounds[-1])


def _count_if(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _within_hours(session: Session, later: Any, earlier: Any, hours: int) -> Any:
    """`later - earlier <= hours`, exact to the microsecond on both databases.

    PostgreSQL subtracts timestamps. SQLite stores them as fixed-width UTC text
    ('2026-11-01 10:00:00.000000'), which compares in time order: add the hours to the whole
    seconds with datetime() (exact; it would round a fraction to milliseconds), put the
    six-digit fraction back, and compare the text. One function call per row.
    """
    if session.get_bind().dialect.name == "postgresql":
        return (later - earlier) <= timedelta(hours=hours)
    whole = func.substr(earlier, 1, 19)
    shifted = func.datetime(whole, f"+{hours} hours").concat(func.substr(earlier, 20))
    return later <= shifted


def count_by_area(
    session: Session, instants: list[datetime], days: list[date]
) -> dict[tuple[str, int], Counts]:
    """Counts per (area, period index) for the periods between consecutive boundaries.

    `instants` are the boundaries as UTC instants (timestamps), `days` the same boundaries as
    local dates (the date-only subscription changes).
    """
    out: dict[tuple[str, int], Counts] = defaultdict(Counts)
    wo = WorkOrder
    area = _Scan(col(wo.area_id))
    received = _Scan(col(wo.received_at))
    bucket = _bucket(received, instants)
    for area_id, idx, n in session.exec(
        select(area, bucket, func.count())
        .where(_Scan(col(wo.kind)) == Kind.COMPLAINT.value, _in_range(received, instants))
        .group_by(area, bucket)
    ).all():
        out[(area_id, idx)].complaints = int(n)

    started = _Scan(col(wo.clock_started_at))
    bucket = _bucket(started, instants)
    in_time = and_(
        col(wo.first_response_at).is_not(None),
        _within_hours(session, col(wo.first_response_at), col(wo.clock_started_at), RESPONSE_HOURS),
    )
    breached = col(wo.breached).is_(True)
    for area_id, idx, n, ok, br in session.exec(
        # five columns: past sqlmodel's typed overloads, fine at run time
        select(area, bucket, func.count(), _count_if(in_time), _count_if(breached))  # type: ignore[call-overload]
        .where(_in_range(started, instants))
        .group_by(area, bucket)
    ).all():
        out[(area_id, idx)].work_orders, out[(area_id, idx)].responded_24h = int(n), int(ok)
        out[(area_id, idx)].breached = int(br)

    esc = EscalationRecord
    esc_area, esc_at = _Scan(col(esc.area_id)), _Scan(col(esc.at))
    bucket = _bucket(esc_at, instants)
    for area_id, idx, n in session.exec(
        select(esc_area, bucket, func.count())
        .where(_in_range(esc_at, instants), col(esc.kind).in_(VIOLATION_ESCALATIONS))
        .group_by(esc_area, bucket)
    ).all():
        out[(area_id, idx)].escalations = int(n)

    cb = CallbackRecord
    cb_area, at = _Scan(col(cb.area_id)), _Scan(col(cb.at))
    bucket = _bucket(at, instants)
    reached = col(cb.reached).is_(True)
    for area_id, idx, r, sat in session.exec(
        select(
            cb_area,
            bucket,
            _count_if(reached),
            _count_if(and_(reached, col(cb.satisfied).is_(True))),
        )
        .where(_in_range(at, instants))
        .group_by(cb_area, bucket)
    ).all():
        out[(area_id, idx)].callbacks_reached = int(r)
        out[(area_id, idx)].callbacks_satisfied = int(sat)

    sc = SubscriptionChange
    sc_area, on = _Scan(col(sc.area_id)), _Scan(col(sc.changed_on))
    bucket = _bucket(on, days)
    gained, lost = _count_if(sc.change == "gained"), _count_if(sc.change == "lost")
    for area_id, idx, g, lo in session.exec(
        select(sc_area, bucket, gained, lost).where(_in_range(on, days)).group_by(sc_area, bucket)
    ).all():
        out[(area_id, idx)].gained, out[(area_id, idx)].lost = int(g), int(lo)
    return out


# --- reports -----------------------------------------------------------------------------------
def _assemble(
    session: Session,
    policy: SlaPolicy,
    counts: dict[tuple[str, int], Counts],
    periods: list[int],
    months: int,
    only: set[str] | None = None,
) -> tuple[list[AreaAssessment], AreaAssessment]:
    staffing = {s.area_id: s for s in area_staffing(session, policy.staffing_norms)}
    rows: list[AreaAssessment] = []
    for area in session.exec(select(Area).order_by(col(Area.area_id))).all():
        if only is not None and area.area_id not in only:
            continue
        summed = sum((counts.get((area.area_id, p), Counts()) for p in periods), Counts())
        staff = staffing.get(area.area_id)
        rows.append(
            AreaAssessment(
                **summed.model_dump(),
                area_id=area.area_id,
                name=area.name,
                company=area.company.value,
                households=area.households,
                technicians=staff.technicians if staff else 0,
                norm=policy.staffing_norms[area.company],
                growth_target=area.growth_target * months / 12,
                branch_id=area.branch_id or area.company.value,
            )
        )
    total = AreaAssessment(
        **sum(
            (Counts(**r.model_dump(include=set(Counts.model_fields))) for r in rows), Counts()
        ).model_dump(),
        area_id=TOTAL,
        name="全部服务区",
        households=sum(r.households for r in rows),
        technicians=sum(r.technicians for r in rows),
        growth_target=sum(r.growth_target for r in rows),
    )
    return rows, total


def _trend(
    counts: dict[tuple[str, int], Counts],
    year: int,
    upto: int,
    households: int,
    only: set[str] | None = None,
) -> list[TrendPoint]:
    points = []
    for i in range(upto):
        month = sum(
            (c for (a, idx), c in counts.items() if idx == i and (only is None or a in only)),
            Counts(),
        )
        points.append(
            TrendPoint(period=f"{year:04d}-{i + 1:02d}", counts=month, households=households)
        )
    return points


def monthly_report(
    session: Session, policy: SlaPolicy, month: str, *, areas: set[str] | None = None
) -> AssessmentReport:
    """R3.3 monthly assessment of every area (or of `areas`), with the year-to-date trend."""
    year, m = parse_month(month)
    days = month_starts(year, 1, m)
    instants = _midnights(days, policy.timezone)
    counts = count_by_area(session, instants, days)
    rows, total = _assemble(session, policy, counts, [m - 1], months=1, only=areas)
    return AssessmentReport(
        kind=ReportKind.MONTHLY,
        period=f"{year:04d}-{m:02d}",
        timezone=policy.timezone,
        starts=instants[m - 1],
        ends=instants[m],
        policy_version=policy.version,
        computed_at=datetime.now(UTC),
        areas=rows,
        total=total,
        trend=_trend(counts, year, m, total.households, areas),
    )


def yearly_report(
    session: Session, policy: SlaPolicy, year: int, *, areas: set[str] | None = None
) -> AssessmentReport:
    """R3.3 yearly summary: the twelve months summed, and the monthly trend."""
    days = month_starts(year, 1, 12)
    instants = _midnights(days, policy.timezone)
    counts = count_by_area(session, instants, days)
    rows, total = _assemble(session, policy, counts, list(range(12)), months=12, only=areas)
    return AssessmentReport(
        kind=ReportKind.YEARLY,
        period=f"{year:04d}",
        timezone=policy.timezone,
        starts=instants[0],
        ends=instants[-1],
        policy_version=policy.version,
        computed_at=datetime.now(UTC),
        areas=rows,
        total=total,
        trend=_trend(counts, year, 12, total.households, areas),
    )
