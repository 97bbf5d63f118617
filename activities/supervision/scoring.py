"""(三)3 area contracting: each area's assessment scored against the supervision policy's
targets, with the reward/penalty category the policy assigns, and (七)2c / R8.1 the certified
coverage of its staff. Applied to the monthly and the yearly report alike; (四)2 a supervisor
sees the areas of the branches they may see.

A target an area cannot be judged on in the period (no work orders, no callbacks reached, no
growth target) is not assessed, and so not missed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from activities.directory_tables import Area
from activities.reports import AreaAssessment, AssessmentReport, monthly_report, yearly_report
from activities.supervision import certification, org
from activities.supervision.policy import SupervisionPolicy, Targets
from cablecare.policy import SlaPolicy

Figure = Callable[[AreaAssessment], float | None]
Meets = Callable[[float, Targets], bool]
# target name -> (the figure, True when it meets the target)
CHECKS: dict[str, tuple[Figure, Meets]] = {
    "complaint_rate": (lambda a: a.complaint_rate, lambda v, t: v <= t.complaint_rate_max),
    "response_rate": (lambda a: a.response_rate, lambda v, t: v >= t.response_24h_min),
    "satisfaction": (lambda a: a.satisfaction, lambda v, t: v >= t.satisfaction_min),
    "growth_attainment": (
        lambda a: a.growth_attainment,
        lambda v, t: v >= t.growth_attainment_min,
    ),
}  # fmt: skip


def score_area(area: AreaAssessment, policy: SupervisionPolicy) -> None:
    missed, assessed = [], 0
    for name, (figure, meets) in CHECKS.items():
        value = figure(area)
        if value is None:
            continue
        assessed += 1
        if not meets(value, policy.targets):
            missed.append(name)
    category = policy.category(len(missed))
    area.targets_missed, area.targets_assessed = missed, assessed
    area.category, area.category_zh = category.code, category.name_zh


def coverage_day(report: AssessmentReport, timezone: str) -> date:
    """Coverage as of the period's last day, or today while the period runs."""
    last = (report.ends - timedelta(seconds=1)).astimezone(ZoneInfo(timezone)).date()
    return min(last, datetime.now(ZoneInfo(timezone)).date())


def apply(
    session: Session, report: AssessmentReport, policy: SupervisionPolicy
) -> AssessmentReport:
    cover = certification.coverage(
        session, policy.certified_roles, coverage_day(report, report.timezone)
    )
    for area in report.areas:
        c = cover.get(area.area_id)
        if c is not None:
            area.staff_needing_certificate, area.staff_certified = c.staff, c.certified
        score_area(area, policy)
    t = report.total
    t.staff_needing_certificate = sum(a.staff_needing_certificate for a in report.areas)
    t.staff_certified = sum(a.staff_certified for a in report.areas)
    score_area(t, policy)
    report.targets = policy.targets.model_dump()
    report.categories = [
        c.model_dump() for c in sorted(policy.categories, key=lambda c: c.max_missed)
    ]
    report.supervision_policy_version = policy.version
    return report


def scoped_areas(
    session: Session, as_staff: str | None
) -> tuple[set[str] | None, list[str] | None]:
    """(四)2 the areas and branches `as_staff` may see (None: all). Raises org.ScopeError."""
    branches = org.visible_branches(session, as_staff)
    if branches is None:
        return None, None
    areas = {
        a.area_id for a in session.exec(select(Area)).all() if org.branch_of_area(a) in branches
    }
    return areas, sorted(branches)


def assessment(
    session: Session, sla: SlaPolicy, policy: SupervisionPolicy, kind: str, period: str,
    *, as_staff: str | None = None,
) -> AssessmentReport:  # fmt: skip
    """The monthly or yearly assessment, scored, for what `as_staff` may see."""
    areas, scope = scoped_areas(session, as_staff)
    if kind == "yearly":
        report = yearly_report(session, sla, int(period), areas=areas)
    else:
        report = monthly_report(session, sla, period, areas=areas)
    report.scope = scope
    return apply(session, report, policy)
