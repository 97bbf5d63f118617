"""Activities of the Inspection workflow and of the monthly SupervisionPlan ((七)2b/2d/2e,
(四)2, (五)5).

Every write is keyed on what the workflow committed (workflow id + finding id + step name)
and is an upsert, so a retried activity writes each row once (issue 9, docs/temporal-notes.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select
from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from activities.db import SessionFactory
from activities.notifications import Channel, Notification, NotificationSender, RecipientKind
from activities.supervision import org
from activities.supervision.policy import load_supervision_policy, policy_path_beside
from activities.supervision.tables import FindingRecord, InspectionRecord, SupervisionEvent
from cablecare.settings import Settings
from starter.accountability import open_case
from workflows.accountability.messages import AccountabilityCaseInput
from workflows.inspection.activity_io import (
    ESCALATE_FINDING,
    OPEN_INSPECTION,
    PLAN_INSPECTIONS,
    RECORD_FINDING_STEP,
    RECORD_INSPECTION_STATE,
    EscalateFindingInput,
    FindingStepInput,
    InspectionStateInput,
    OpenInspectionInput,
    PlanInspectionsInput,
)
from workflows.inspection.messages import (
    WORKFLOW_NAME,
    ChecklistEntry,
    Finding,
    FindingState,
    InspectionContext,
    InspectionInput,
    InspectionKind,
    InspectionState,
    SupervisionPlanResult,
    TargetKind,
    accountability_case_id,
    workflow_id,
)

log = structlog.get_logger(__name__)

_STATE_RANK = {InspectionState.PLANNED: 0, InspectionState.COMPLETED: 1, InspectionState.CLOSED: 2}
_FINDING_RANK = {
    FindingState.OPEN: 0,
    FindingState.CORRECTED: 1,
    FindingState.VERIFIED: 2,
    FindingState.ESCALATED: 2,
}


def _progress(f: Finding) -> int:
    return f.rejections * 10 + _FINDING_RANK[f.state]


def add_event(session: Session, event: SupervisionEvent) -> None:
    """(七)2d one log row per business key: a retry finds it there."""
    found = session.exec(select(SupervisionEvent.id).where(SupervisionEvent.key == event.key))
    if found.first() is None:
        session.add(event)


def _commit(session: Session) -> None:
    try:
        session.commit()
    except IntegrityError:  # a concurrent retry of the same step wrote first
        session.rollback()


class InspectionActivities:
    def __init__(
        self, sessions: SessionFactory, sender: NotificationSender, settings: Settings
    ) -> None:
        self.sessions = sessions
        self.sender = sender
        self.settings = settings

    def activities(self) -> list[Callable[..., Any]]:
        return [
            self.open_inspection,
            self.record_finding_step,
            self.escalate_finding,
            self.record_inspection_state,
            self.plan_inspections,
        ]

    def _policy(self) -> Any:
        return load_supervision_policy(policy_path_beside(self.settings.policy_path))

    @activity.defn(name=OPEN_INSPECTION)
    def open_inspection(self, data: OpenInspectionInput) -> InspectionContext:
        """Record the planned inspection; read the checklist, deadlines and supervisors."""
        policy = self._policy()
        i = data.inspection
        with self.sessions() as session:
            supervisors = org.branch_supervisors(session, i.branch_id)
            supervisors += [s for s in org.province_supervisors(session) if s not in supervisors]
            if session.get(InspectionRecord, i.inspection_id) is None:
                session.add(
                    InspectionRecord(
                        inspection_id=i.inspection_id, workflow_id=data.workflow_id,
                        kind=i.kind.value, inspector_id=i.inspector_id,
                        target_kind=i.target_kind.value, target_id=i.target_id,
                        branch_id=i.branch_id, period=i.period, planned_for=i.planned_for,
                        state=InspectionState.PLANNED.value, policy_version=policy.version,
                    )
                )  # fmt: skip
            add_event(
                session,
                SupervisionEvent(
                    key=f"{data.workflow_id}/planned", at=datetime.now(UTC), kind="planned",
                    branch_id=i.branch_id, inspection_id=i.inspection_id, by=i.inspector_id,
                    detail=f"{i.kind.value} inspection of {i.target_kind.value} {i.target_id} "
                    f"planned for {i.planned_for.isoformat()}",
                ),
            )  # fmt: skip
            _commit(session)
        return InspectionContext(
            policy_version=policy.version,
            checklist=[
                ChecklistEntry(code=c.code, system=c.system, text_zh=c.text_zh)
                for c in policy.checklist
            ],
            correction_days=policy.correction_days,
            opens_accountability=policy.escalation_opens_accountability,
            supervisors=supervisors,
        )

    def _upsert_finding(
        self, session: Session, data_inspection: InspectionInput, f: Finding
    ) -> None:
        row = session.exec(
            select(FindingRecord).where(
                FindingRecord.inspection_id == data_inspection.inspection_id,
                FindingRecord.finding_id == f.finding_id,
            )
        ).first()
        values: dict[str, Any] = {
            "branch_id": data_inspection.branch_id, "item": f.item, "system": f.system,
            "responsible_staff_id": f.responsible_staff_id, "recorded_at": f.recorded_at,
            "due_at": f.due_at, "state": f.state.value, "corrected_at": f.corrected_at,
            "verified_at": f.verified_at, "escalated_at": f.escalated_at,
            "accountability_case_id": f.accountability_case_id, "progress": _progress(f),
        }  # fmt: skip
        if row is None:
            session.add(
                FindingRecord(
                    inspection_id=data_inspection.inspection_id, finding_id=f.finding_id, **values
                )
            )
        elif row.progress <= _progress(f):  # the newest step wins, never an old retry
            for k, v in values.items():
                setattr(row, k, v)
            session.add(row)

    @activity.defn(name=RECORD_FINDING_STEP)
    def record_finding_step(self, data: FindingStepInput) -> None:
        """(七)2d a finding, a correction report, a verification or a rejection: the finding's
        row, one log entry, and a message to the people concerned."""
        f, i = data.finding, data.inspection
        key = f"{data.workflow_id}/{f.finding_id}/{data.step}"
        with self.sessions() as session:
            self._upsert_finding(session, i, f)
            add_event(
                session,
                SupervisionEvent(
                    key=key, at=data.at, kind=f"finding_{data.step.split('-')[0]}",
                    branch_id=i.branch_id, inspection_id=i.inspection_id,
                    finding_id=f.finding_id, by=data.by,
                    detail=f"{f.system}/{f.item}: {f.state.value}, due {f.due_at.isoformat()}",
                ),
            )  # fmt: skip
            _commit(session)
        for staff_id in data.notify:
            self.sender.send(
                Notification(
                    key=f"{key}/{staff_id}", channel=Channel.STAFF,
                    recipient_kind=RecipientKind.STAFF, recipient_id=staff_id,
                    template="inspection_finding",
                    params={"inspection_id": i.inspection_id, "finding_id": f.finding_id,
                            "item": f.item, "state": f.state.value,
                            "due_at": f.due_at.isoformat()},
                )
            )  # fmt: skip

    @activity.defn(name=ESCALATE_FINDING)
    async def escalate_finding(self, data: EscalateFindingInput) -> str | None:
        """(七)2e / R7.2 an uncorrected finding: log, tell the supervisors and, per the
        policy, open an accountability case against the responsible person (R6.1).
        Returns the accountability case id, if one was opened."""
        f, i = data.finding, data.inspection
        case_id: str | None = None
        if data.open_accountability and f.responsible_staff_id is not None:
            case_id = accountability_case_id(i.inspection_id, f.finding_id)
            f = f.model_copy(update={"accountability_case_id": case_id})
            await self._open_accountability(activity.client(), data, case_id)
        await asyncio.to_thread(self._record_escalation, data, f)
        return case_id

    async def _open_accountability(
        self, client: Client, data: EscalateFindingInput, case_id: str
    ) -> None:
        f, i = data.finding, data.inspection
        assert f.responsible_staff_id is not None
        area = i.target_id if i.target_kind == TargetKind.AREA else None
        try:
            await open_case(
                client,
                AccountabilityCaseInput(
                    case_id=case_id, staff_id=f.responsible_staff_id, area_id=area, rule="R7.2",
                    violation=f"inspection {i.inspection_id} finding {f.finding_id} ({f.system}/"
                    f"{f.item}) not corrected by {f.due_at.isoformat()} ((七)2e)",
                    opened_by=i.inspector_id, occurred_at=f.due_at,
                ),
            )  # fmt: skip
        except WorkflowAlreadyStartedError:
            pass  # already opened and decided: one case per finding, never two

    def _record_escalation(self, data: EscalateFindingInput, f: Finding) -> None:
        i = data.inspection
        key = f"{data.workflow_id}/{f.finding_id}/escalated"
        with self.sessions() as session:
            self._upsert_finding(session, i, f)
            add_event(
                session,
                SupervisionEvent(
                    key=key, at=f.escalated_at or datetime.now(UTC), kind="finding_escalated",
                    branch_id=i.branch_id, inspection_id=i.inspection_id,
                    finding_id=f.finding_id, by="system",
                    detail=f"{f.system}/{f.item} not corrected by {f.due_at.isoformat()}"
                    + (f"; accountability case {f.accountability_case_id}"
                       if f.accountability_case_id else ""),
                ),
            )  # fmt: skip
            _commit(session)
        for staff_id in data.supervisors:
            self.sender.send(
                Notification(
                    key=f"{key}/{staff_id}", channel=Channel.STAFF,
                    recipient_kind=RecipientKind.STAFF, recipient_id=staff_id,
                    template="inspection_escalation",
                    params={"inspection_id": i.inspection_id, "finding_id": f.finding_id,
                            "item": f.item, "due_at": f.due_at.isoformat(),
                            "case_id": f.accountability_case_id or "-"},
                )
            )  # fmt: skip

    @activity.defn(name=RECORD_INSPECTION_STATE)
    def record_inspection_state(self, data: InspectionStateInput) -> None:
        s = data.snapshot
        with self.sessions() as session:
            row = session.get(InspectionRecord, s.inspection_id)
            if row is not None and _STATE_RANK[InspectionState(row.state)] <= _STATE_RANK[s.state]:
                row.state = s.state.value
                row.completed_at = s.completed_at
                session.add(row)
            add_event(
                session,
                SupervisionEvent(
                    key=f"{data.workflow_id}/{s.state.value}", at=data.at, kind=s.state.value,
                    branch_id=s.branch_id, inspection_id=s.inspection_id,
                    detail=f"{len(s.findings)} finding(s)",
                ),
            )  # fmt: skip
            _commit(session)

    # --- the monthly plan -------------------------------------------------------------------
    @activity.defn(name=PLAN_INSPECTIONS)
    async def plan_inspections(self, data: PlanInspectionsInput) -> SupervisionPlanResult:
        """(五)5 every branch's self-inspection and (四)2 the province's inspections of the
        month, each started exactly once: the inspection id is the period plus the branch,
        and a workflow id is never reused (REJECT_DUPLICATE), so a second run, a catch-up or
        a retry finds it there."""
        period = data.period or local_month(data.as_of, self._policy().timezone)
        plan = await asyncio.to_thread(self.monthly_plan, period)
        client = activity.client()
        created = existing = 0
        for item in plan:
            try:
                # The worker's own queue: `cable-service` in production, a test's queue in tests.
                await client.start_workflow(
                    WORKFLOW_NAME, item, id=workflow_id(item.inspection_id),
                    task_queue=activity.info().task_queue,
                    id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    static_summary=f"{item.kind.value} inspection {item.inspection_id}: "
                    f"branch {item.branch_id}, {item.period}",
                )  # fmt: skip
                created += 1
            except WorkflowAlreadyStartedError:
                existing += 1
        log.info("supervision.planned", period=period, created=created, existing=existing)
        return SupervisionPlanResult(
            period=period, planned=[p.inspection_id for p in plan],
            created=created, existing=existing,
        )  # fmt: skip

    def monthly_plan(self, period: str) -> list[InspectionInput]:
        policy = self._policy()
        year, month = (int(p) for p in period.split("-"))
        plan: list[InspectionInput] = []
        with self.sessions() as session:
            province_inspector = next(iter(org.province_supervisors(session)), None)
            for n, b in enumerate(org.branches(session)):
                own = org.branch_supervisors(session, b.company_id)
                inspector = b.head_staff_id or next(iter(own), None)
                if inspector is not None:
                    plan.append(
                        InspectionInput(
                            inspection_id=f"self-{period}-{b.company_id}",
                            kind=InspectionKind.SELF, inspector_id=inspector,
                            target_kind=TargetKind.BRANCH, target_id=b.company_id,
                            branch_id=b.company_id, period=period,
                            planned_for=date(year, month, policy.self_inspection_day),
                        )
                    )  # fmt: skip
                # (四)2 the province visits each branch every N months, branches staggered.
                due = (year * 12 + month - 1 + n) % policy.province_interval_months == 0
                if due and province_inspector is not None:
                    plan.append(
                        InspectionInput(
                            inspection_id=f"prov-{period}-{b.company_id}",
                            kind=InspectionKind.PROVINCE, inspector_id=province_inspector,
                            target_kind=TargetKind.BRANCH, target_id=b.company_id,
                            branch_id=b.company_id, period=period,
                            planned_for=date(year, month, policy.province_inspection_day),
                        )
                    )  # fmt: skip
        return plan


def local_month(at: datetime, timezone: str) -> str:
    local = at.astimezone(ZoneInfo(timezone))
    return f"{local.year:04d}-{local.month:02d}"
