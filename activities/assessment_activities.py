"""R3.3 / R3.4 / R3.1: the monthly area assessment and the yearly summary, run by Schedules.

The activity computes the report by SQL (activities/reports.py) and keeps one snapshot row per
area and period (upsert): what the assessment said when it was taken, even if late data
arrives afterwards. `cablecare report` computes the same report on demand.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlmodel import select
from temporalio import activity

from activities.db import SessionFactory
from activities.duty_tables import AssessmentSnapshot
from activities.reports import AssessmentReport, monthly_report, yearly_report
from cablecare.policy import current_policy
from cablecare.settings import Settings
from workflows.scheduled.messages import AssessmentKind, AssessmentResult, AssessmentRun

log = structlog.get_logger(__name__)


def default_period(kind: AssessmentKind, as_of: datetime, timezone: str) -> str:
    """The period that just ended: the previous month, or the previous year."""
    local = as_of.astimezone(ZoneInfo(timezone))
    if kind == AssessmentKind.YEARLY:
        return f"{local.year - 1:04d}"
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def save_snapshots(session: Any, report: AssessmentReport) -> None:
    """One row per area and period; a later run for the same period replaces it."""
    existing = {
        row.area_id: row
        for row in session.exec(
            select(AssessmentSnapshot).where(AssessmentSnapshot.period == report.period)
        ).all()
    }
    for area in [*report.areas, report.total]:
        row = existing.get(area.area_id) or AssessmentSnapshot(
            period=report.period, area_id=area.area_id, computed_at=report.computed_at
        )
        row.over_norm, row.data, row.computed_at = area.over_norm, area.row(), report.computed_at
        session.add(row)
    session.commit()


class AssessmentActivities:
    def __init__(self, sessions: SessionFactory, settings: Settings) -> None:
        self.sessions = sessions
        self.settings = settings

    def activities(self) -> list[Callable[..., Any]]:
        return [self.assess_areas]

    @activity.defn(name="assess_areas")
    def assess_areas(self, data: AssessmentRun) -> AssessmentResult:
        policy = current_policy(self.settings.policy_path)
        kind = data.request.kind
        period = data.request.period or default_period(kind, data.as_of, policy.timezone)
        with self.sessions() as session:
            if kind == AssessmentKind.YEARLY:
                report = yearly_report(session, policy, int(period[:4]))
            else:
                report = monthly_report(session, policy, period)
            save_snapshots(session, report)
        log.info("assessment.done", kind=kind.value, period=period, over_norm=report.over_norm)
        return AssessmentResult(
            kind=kind,
            period=report.period,
            areas=len(report.areas),
            over_norm=report.over_norm,
            work_orders=report.total.work_orders,
            complaints=report.total.complaints,
        )
