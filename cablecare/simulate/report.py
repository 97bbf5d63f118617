"""The month's outcome per area and kind, and the R3.3 assessment computed from it.

Figures: breach rate (R4.7), escalations, accountability cases opened (R6.1), response within
24 h (R3.3), callbacks on time (R5.1), technician utilisation and households per technician
(R3.1). No wall-clock time or file path goes into the output: the same seed gives the same
bytes.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from activities.reports import TOTAL, AreaAssessment, AssessmentReport, ReportKind
from cablecare.domain import Company, Kind
from cablecare.policy import SlaPolicy
from cablecare.simulate.fast import MonthResult
from cablecare.simulate.generate import Directory, Window
from cablecare.simulate.workload import Workload

ESCALATION_KINDS = (
    "warning", "breach", "acknowledge_overdue", "callback_overdue", "appointment_missed",
    "leadership_report", "unreachable_report",
)  # fmt: skip
ALL = "ALL"


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 6) if whole else None


@dataclass(frozen=True)
class Figures:
    """One line of the outcome: an area and kind (or ALL)."""

    area_id: str
    kind: str
    requests: int
    breached: int  # requests with at least one breach
    breaches: int
    escalations: dict[str, int]
    accountability: int
    work_orders: int
    responded_24h: int
    callbacks_owed: int
    callbacks_on_time: int
    refusals: int

    def row(self) -> dict[str, Any]:
        return {
            "area_id": self.area_id,
            "kind": self.kind,
            "requests": self.requests,
            "breached": self.breached,
            "breach_rate": _ratio(self.breached, self.requests),
            "breaches": self.breaches,
            "escalations": sum(self.escalations.values()),
            **{f"esc_{k}": self.escalations.get(k, 0) for k in ESCALATION_KINDS},
            "accountability_opened": self.accountability,
            "work_orders": self.work_orders,
            "responded_24h": self.responded_24h,
            "response_rate_24h": _ratio(self.responded_24h, self.work_orders),
            "callbacks_owed": self.callbacks_owed,
            "callbacks_on_time": self.callbacks_on_time,
            "callbacks_on_time_rate": _ratio(self.callbacks_on_time, self.callbacks_owed),
            "refused_messages": self.refusals,
        }


@dataclass(frozen=True)
class MonthReport:
    meta: dict[str, Any]
    figures: list[Figures]
    staffing: list[dict[str, Any]]
    assessment: AssessmentReport

    def figure(self, area_id: str = ALL, kind: str = ALL) -> Figures:
        return next(f for f in self.figures if f.area_id == area_id and f.kind == kind)

    def as_json(self) -> dict[str, Any]:
        return {
            "simulation": self.meta,
            "figures": [f.row() for f in self.figures],
            "staffing": self.staffing,
            "assessment_r3_3": self.assessment.as_json(),
        }


def build_report(
    result: MonthResult,
    *,
    workload: Workload,
    policy: SlaPolicy,
    directory: Directory,
    window: Window,
    seed: int,
    engine: str,
) -> MonthReport:
    groups: dict[tuple[str, str], list[Any]] = {}
    for o in result.outcomes:
        for key in ((o.area_id, o.kind), (o.area_id, ALL), (ALL, o.kind), (ALL, ALL)):
            groups.setdefault(key, []).append(o)
    areas = sorted(directory.areas)
    kinds = [k.value for k in Kind]
    figures = []
    for area in [*areas, ALL]:
        for kind in [*kinds, ALL]:
            outs = groups.get((area, kind), [])
            if not outs and kind != ALL:
                continue
            esc: Counter[str] = Counter(e[0] for o in outs for e in o.escalations)
            figures.append(
                Figures(
                    area_id=area,
                    kind=kind,
                    requests=len(outs),
                    breached=sum(1 for o in outs if o.breaches),
                    breaches=sum(o.breaches for o in outs),
                    escalations=dict(sorted(esc.items())),
                    accountability=sum(o.accountability for o in outs),
                    work_orders=sum(1 for o in outs if o.work_order),
                    responded_24h=sum(1 for o in outs if o.responded_24h),
                    callbacks_owed=sum(o.callbacks_owed for o in outs),
                    callbacks_on_time=sum(
                        max(o.callbacks_owed - o.callbacks_overdue, 0) for o in outs
                    ),
                    refusals=sum(o.refusals for o in outs),
                )
            )
    staffing = []
    assessed = []
    for area_id in areas:
        info = directory.areas[area_id]
        techs = result.technicians.get(area_id, 0)
        households = round(info.households * workload.scale)
        norm = policy.staffing_norms[Company(info.company)]
        staffing.append(
            {
                "area_id": area_id,
                "setting": info.setting,
                "company": info.company,
                "households": households,
                "technicians": techs,
                "households_per_technician": _ratio(households, techs),
                "norm": norm,
                "busy_hours": round(result.busy_hours.get(area_id, 0.0), 3),
                "shift_hours": round(result.shift_hours.get(area_id, 0.0), 3),
                "utilisation": _ratio(
                    result.busy_hours.get(area_id, 0.0), result.shift_hours.get(area_id, 0.0)
                ),
            }
        )
        outs = groups.get((area_id, ALL), [])
        assessed.append(
            AreaAssessment(
                area_id=area_id,
                company=info.company,
                households=households,
                technicians=techs,
                norm=norm,
                complaints=sum(1 for o in outs if o.kind == Kind.COMPLAINT.value),
                work_orders=sum(1 for o in outs if o.work_order),
                responded_24h=sum(1 for o in outs if o.responded_24h),
                callbacks_reached=sum(o.callbacks_reached for o in outs),
                callbacks_satisfied=sum(o.callbacks_satisfied for o in outs),
            )
        )
    total = AreaAssessment(
        area_id=TOTAL,
        name="全部服务区",
        **{
            f: sum(getattr(a, f) for a in assessed)
            for f in (
                "households",
                "technicians",
                "complaints",
                "work_orders",
                "responded_24h",
                "callbacks_reached",
                "callbacks_satisfied",
            )
        },  # fmt: skip
    )
    assessment = AssessmentReport(
        kind=ReportKind.MONTHLY,
        period=window.label,
        timezone=workload.timezone,
        starts=window.start,
        ends=window.end,
        policy_version=policy.version,
        computed_at=window.end,  # not the wall clock: the same seed gives the same bytes
        areas=assessed,
        total=total,
    )
    meta = {
        "month": window.label,
        "seed": seed,
        "engine": engine,
        "policy_version": policy.version,
        "workload_version": workload.version,
        "requests": len(result.outcomes),
    }
    return MonthReport(meta=meta, figures=figures, staffing=staffing, assessment=assessment)


def to_json(report: MonthReport) -> str:
    return json.dumps(report.as_json(), ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def to_csv(report: MonthReport) -> str:
    rows = [f.row() for f in report.figures]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["area_id"])
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
