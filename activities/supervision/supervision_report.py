"""(七)2d the supervision report of a month, per branch ((四)2 rolled up to the province):
inspections done against planned, findings by system, corrections on time, escalations,
publication changes; with the month's area assessment scored against the (三)3 targets and the
certified coverage per area (R8.1).

Counted in Python from the month's rows: a month of a province's supervision is hundreds of
rows, not millions; both databases give the same numbers.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from activities.reports import AssessmentReport
from activities.supervision import org
from activities.supervision.policy import SupervisionPolicy
from activities.supervision.scoring import assessment
from activities.supervision.tables import FindingRecord, InspectionRecord, SupervisionEvent
from cablecare.policy import SlaPolicy

DONE = ("completed", "closed")


class BranchSupervision(BaseModel):
    branch_id: str
    name: str
    planned: int = 0
    done: int = 0
    by_kind: dict[str, int] = Field(default_factory=dict)  # planned, per inspection kind
    findings: int = 0
    findings_by_system: dict[str, int] = Field(default_factory=dict)
    corrected_on_time: int = 0
    corrected_late: int = 0
    escalated: int = 0
    open: int = 0  # waiting for a correction or its verification
    publication_changes: int = 0

    @property
    def done_rate(self) -> float | None:
        return self.done / self.planned if self.planned else None

    @property
    def on_time_rate(self) -> float | None:
        judged = self.corrected_on_time + self.corrected_late + self.escalated
        return self.corrected_on_time / judged if judged else None

    def row(self) -> dict[str, Any]:
        return {**self.model_dump(), "done_rate": self.done_rate, "on_time_rate": self.on_time_rate}


class SupervisionReport(BaseModel):
    period: str
    computed_at: datetime
    scope: list[str] | None  # None: the whole province
    branches: list[BranchSupervision]
    province: BranchSupervision  # the roll-up of the branches shown
    assessment: AssessmentReport

    def as_json(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "computed_at": self.computed_at.isoformat(),
            "scope": self.scope,
            "branches": [b.row() for b in self.branches],
            "province": self.province.row(),
            "assessment": self.assessment.as_json(),
        }


def _roll_up(rows: list[BranchSupervision], name: str) -> BranchSupervision:
    total = BranchSupervision(branch_id="ALL", name=name)
    for b in rows:
        for f in ("planned", "done", "findings", "corrected_on_time", "corrected_late",
                  "escalated", "open", "publication_changes"):  # fmt: skip
            setattr(total, f, getattr(total, f) + getattr(b, f))
        for k, v in b.by_kind.items():
            total.by_kind[k] = total.by_kind.get(k, 0) + v
        for k, v in b.findings_by_system.items():
            total.findings_by_system[k] = total.findings_by_system.get(k, 0) + v
    return total


def supervision_report(
    session: Session, sla: SlaPolicy, policy: SupervisionPolicy, month: str,
    *, as_staff: str | None = None,
) -> SupervisionReport:  # fmt: skip
    scored = assessment(session, sla, policy, "monthly", month, as_staff=as_staff)
    visible = None if scored.scope is None else set(scored.scope)
    branches = {
        b.company_id: BranchSupervision(branch_id=b.company_id, name=b.name)
        for b in org.branches(session)
        if visible is None or b.company_id in visible
    }
    for i in session.exec(select(InspectionRecord).where(InspectionRecord.period == month)):
        b = branches.get(i.branch_id)
        if b is None:
            continue
        b.planned += 1
        b.done += int(i.state in DONE)
        b.by_kind[i.kind] = b.by_kind.get(i.kind, 0) + 1
    start, end = scored.starts.astimezone(UTC), scored.ends.astimezone(UTC)
    findings = session.exec(
        select(FindingRecord).where(
            col(FindingRecord.recorded_at) >= start, col(FindingRecord.recorded_at) < end
        )
    ).all()
    for f in findings:
        b = branches.get(f.branch_id)
        if b is None:
            continue
        b.findings += 1
        b.findings_by_system[f.system] = b.findings_by_system.get(f.system, 0) + 1
        if f.state == "verified":
            late = f.corrected_at is not None and f.corrected_at > f.due_at
            b.corrected_late += int(late)
            b.corrected_on_time += int(not late)
        elif f.state == "escalated":
            b.escalated += 1
        else:
            b.open += 1
    changes = Counter(
        e.branch_id
        for e in session.exec(
            select(SupervisionEvent).where(
                SupervisionEvent.kind == "publication_changed",
                col(SupervisionEvent.at) >= start,
                col(SupervisionEvent.at) < end,
            )
        )
    )
    for bid, n in changes.items():
        if bid in branches:
            branches[bid].publication_changes = n
    rows = [branches[k] for k in sorted(branches)]
    return SupervisionReport(
        period=month, computed_at=datetime.now(UTC), scope=scored.scope, branches=rows,
        province=_roll_up(rows, "全省" if scored.scope is None else "合计"), assessment=scored,
    )  # fmt: skip
