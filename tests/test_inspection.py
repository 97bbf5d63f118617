"""(七)2b/2d/2e, (五)5, (四)2: inspections, correction deadlines on real durations, escalation
to accountability, and the monthly plan Schedule creating each inspection exactly once."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlmodel import col, select
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.notification_tables import OutboxMessage
from activities.supervision.tables import FindingRecord, InspectionRecord, SupervisionEvent
from cablecare.schedules import DUTIES, SUPERVISION_PLAN_ID, build_schedule
from tests.org_helpers import PROVINCE_SUPERVISOR, OrgEnv, org_environment, until
from workflows.accountability.messages import AccountabilityStatus
from workflows.accountability.messages import workflow_id as accountability_wf
from workflows.inspection.messages import (
    CompleteUpdate,
    FindingState,
    InspectionInput,
    InspectionSnapshot,
    InspectionState,
    RecordFindingUpdate,
    ReportCorrectionUpdate,
    SupervisionPlanInput,
    SupervisionPlanResult,
    VerifyCorrectionUpdate,
    accountability_case_id,
    workflow_id,
)
from workflows.inspection.workflow import Inspection
from workflows.scheduled.workflows import SupervisionPlan

Handle = WorkflowHandle[Any, InspectionSnapshot]
INSPECTOR = "SUP-HF-01"


@pytest_asyncio.fixture
async def org(client: Client, database_url: str, tmp_path: Path) -> AsyncIterator[OrgEnv]:
    async with org_environment(client, database_url, tmp_path) as env:
        yield env


async def plan_one(org: OrgEnv, **fields: Any) -> tuple[Handle, str]:
    inspection_id = f"t-{uuid.uuid4().hex[:10]}"
    data = InspectionInput.model_validate(
        {
            "inspection_id": inspection_id, "kind": "supervision_office",
            "inspector_id": INSPECTOR, "target_kind": "outlet", "target_id": "OUT-HF-1",
            "branch_id": org.branch["HF"], "period": "2026-12", "planned_for": "2026-12-03",
            **fields,
        }
    )  # fmt: skip
    handle = await org.client.start_workflow(
        Inspection.run, data, id=workflow_id(inspection_id), task_queue=org.task_queue
    )
    return handle, inspection_id


async def status(handle: Handle) -> InspectionSnapshot:
    return await handle.query(Inspection.status, result_type=InspectionSnapshot)


async def finding(handle: Handle, finding_id: str = "F1", **extra: Any) -> InspectionSnapshot:
    u = RecordFindingUpdate.model_validate(
        {
            "finding_id": finding_id, "by": INSPECTOR, "item": "pub-staff",
            "description": "hall staff photos missing at the counter",
            "responsible_staff_id": "WL-HF", **extra,
        }
    )  # fmt: skip
    return await handle.execute_update(Inspection.record_finding, u)


def rows(org: OrgEnv, inspection_id: str) -> tuple[list[FindingRecord], list[SupervisionEvent]]:
    with org.sessions() as s:
        findings = s.exec(
            select(FindingRecord).where(FindingRecord.inspection_id == inspection_id)
        ).all()
        events = s.exec(
            select(SupervisionEvent)
            .where(SupervisionEvent.inspection_id == inspection_id)
            .order_by(col(SupervisionEvent.id))
        ).all()
    return list(findings), list(events)


async def test_7_2e_uncorrected_finding_escalates_after_its_deadline_and_opens_accountability(
    org: OrgEnv, env: WorkflowEnvironment, worker: Worker
) -> None:
    # The accountability case runs on the production queue (starter.accountability), where
    # the session's `worker` serves it.
    handle, iid = await plan_one(org)
    snap = await finding(handle)
    f = snap.findings[0]
    assert f.due_at - f.recorded_at == timedelta(days=7)  # the policy's correction period
    await handle.execute_update(Inspection.complete, CompleteUpdate(by=INSPECTOR))
    await env.fast_forward(handle, timedelta(days=6, hours=23))
    assert (await status(handle)).findings[0].state == FindingState.OPEN  # not yet
    await env.fast_forward(handle, timedelta(hours=2))
    done = await handle.result()
    assert done.state == InspectionState.CLOSED
    assert done.findings[0].state == FindingState.ESCALATED
    case_id = accountability_case_id(iid, "F1")
    assert done.findings[0].accountability_case_id == case_id
    case = org.client.get_workflow_handle(accountability_wf(case_id))
    opened = await until(
        lambda: case.query("status", result_type=AccountabilityStatus), "the accountability case"
    )
    assert opened.staff_id == "WL-HF" and opened.rule == "R7.2"
    findings, events = rows(org, iid)
    assert findings[0].state == "escalated" and findings[0].accountability_case_id == case_id
    kinds = [e.kind for e in events]
    assert kinds[0] == "planned" and "finding_escalated" in kinds and kinds[-1] == "closed"
    with org.sessions() as s:
        told = s.exec(
            select(OutboxMessage.recipient_id).where(
                col(OutboxMessage.key).startswith(f"{workflow_id(iid)}/F1/escalated/")
            )
        ).all()
    assert {"SUP-HF-01", PROVINCE_SUPERVISOR} <= set(told)  # branch and province supervisors
    if (
        os.environ.get("CABLECARE_RECORD_HISTORIES") == "1"
        and "sqlite" in org.settings.database_url
    ):
        # tests/test_replay.py replays every committed history with today's code.
        history = await handle.fetch_history()
        (Path(__file__).parent / "histories" / "inspection_escalated.json").write_text(
            history.to_json()
        )


async def test_7_3_corrected_and_verified_finding_closes_without_escalation(
    org: OrgEnv, env: WorkflowEnvironment
) -> None:
    handle, iid = await plan_one(org)
    await finding(handle)
    await env.fast_forward(handle, timedelta(days=3))
    await handle.execute_update(
        Inspection.report_correction,
        ReportCorrectionUpdate(finding_id="F1", by="WL-HF", note="photos posted"),
    )
    await handle.execute_update(
        Inspection.verify_correction,
        VerifyCorrectionUpdate(finding_id="F1", by=INSPECTOR, accepted=True),
    )
    await handle.execute_update(Inspection.complete, CompleteUpdate(by=INSPECTOR))
    done = await handle.result()
    f = done.findings[0]
    assert f.state == FindingState.VERIFIED and f.on_time and f.escalated_at is None
    findings, events = rows(org, iid)
    assert findings[0].state == "verified" and findings[0].accountability_case_id is None
    assert [e.kind for e in events] == [
        "planned", "finding_recorded", "finding_corrected", "finding_verified",
        "completed", "closed",
    ]  # fmt: skip


async def test_7_3_rejected_correction_after_the_deadline_escalates_at_once(
    org: OrgEnv, env: WorkflowEnvironment
) -> None:
    handle, _iid = await plan_one(org)
    await finding(handle, responsible_staff_id=None)
    await handle.execute_update(
        Inspection.report_correction,
        ReportCorrectionUpdate(finding_id="F1", by="WL-HF", note="done"),
    )
    await handle.execute_update(Inspection.complete, CompleteUpdate(by=INSPECTOR))
    await env.fast_forward(handle, timedelta(days=8))
    assert (await status(handle)).findings[0].state == FindingState.CORRECTED  # reported in time
    await handle.execute_update(
        Inspection.verify_correction,
        VerifyCorrectionUpdate(finding_id="F1", by=INSPECTOR, accepted=False, note="not posted"),
    )
    done = await handle.result()
    # No responsible person named: escalated to the supervisors, no accountability case.
    assert done.findings[0].state == FindingState.ESCALATED
    assert done.findings[0].accountability_case_id is None


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"item": "no-such-item"}, "not on this inspection's checklist"),
        ({"by": "CTR-HF-1"}, "neither the inspector"),
    ],
)
async def test_7_2_finding_refusals_explain_why(
    org: OrgEnv, fields: dict[str, str], words: str
) -> None:
    handle, _ = await plan_one(org)
    await until(lambda: _opened(handle), "the inspection to open")
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await finding(handle, **fields)
    assert words in str(info.value.cause)
    await finding(handle)
    with pytest.raises(WorkflowUpdateFailedError) as again:
        await finding(handle)
    assert "already recorded" in str(again.value.cause)


async def _opened(handle: Handle) -> bool:
    return bool((await status(handle)).checklist)


async def test_5_5_monthly_schedule_creates_one_self_inspection_per_branch_exactly_once(
    org: OrgEnv,
) -> None:
    duty = next(d for d in DUTIES if d.schedule_id == SUPERVISION_PLAN_ID)
    schedule_id = f"{SUPERVISION_PLAN_ID}-{uuid.uuid4().hex[:6]}"
    handle = await org.client.create_schedule(
        schedule_id, build_schedule(duty, task_queue=org.task_queue, timezone="Asia/Shanghai")
    )
    try:
        await handle.trigger()
        first = await until(lambda: _plan_runs(org, schedule_id), "the scheduled plan run")
        # A second run of the same month (an operator's manual run) plans nothing new.
        period = first[0].period
        again: SupervisionPlanResult = await org.client.execute_workflow(
            SupervisionPlan.run, SupervisionPlanInput(period=period),
            id=f"plan-again-{uuid.uuid4().hex[:6]}", task_queue=org.task_queue,
        )  # fmt: skip
    finally:
        await handle.delete()
    run = first[0]
    selfs = sorted(p for p in run.planned if p.startswith("self-"))
    hf, fd = org.branch["HF"], org.branch["FD"]
    assert selfs == sorted([f"self-{period}-{fd}", f"self-{period}-{hf}"])
    assert run.created == len(run.planned) and run.existing == 0
    assert again.created == 0 and again.existing == len(run.planned)
    with org.sessions() as s:
        planned = await until(
            lambda: _count_rows(org, period, len(run.planned)), "the inspection rows"
        )
        self_rows = s.exec(
            select(InspectionRecord).where(
                InspectionRecord.period == period, InspectionRecord.kind == "self"
            )
        ).all()
    assert planned and sorted(r.branch_id for r in self_rows) == sorted([hf, fd])
    assert {r.inspector_id for r in self_rows} == {"LDR-HF", "LDR-FD"}  # the branch heads


async def _plan_runs(org: OrgEnv, schedule_id: str) -> list[SupervisionPlanResult]:
    found = []
    async for wf in org.client.list_workflows(f"TemporalScheduledById = '{schedule_id}'"):
        if wf.status is not None and wf.status.name == "COMPLETED":
            handle = org.client.get_workflow_handle(wf.id, result_type=SupervisionPlanResult)
            found.append(await handle.result())
    return found


async def _count_rows(org: OrgEnv, period: str, n: int) -> bool:
    with org.sessions() as s:
        got = s.exec(select(InspectionRecord).where(InspectionRecord.period == period)).all()
    return len(got) == n


def test_4_2_province_inspects_each_branch_on_its_rotation(org: OrgEnv) -> None:
    from activities.notifications import OutboxSender
    from activities.supervision.inspection_activities import InspectionActivities

    acts = InspectionActivities(org.sessions, OutboxSender(org.sessions), org.settings)
    months = [f"2027-{m:02d}" for m in range(1, 13)]
    province = {m: [p for p in acts.monthly_plan(m) if p.kind.value == "province"] for m in months}
    visits: dict[str, int] = {}
    for plans in province.values():
        for p in plans:
            visits[p.branch_id] = visits.get(p.branch_id, 0) + 1
            assert p.inspector_id == PROVINCE_SUPERVISOR
            assert p.planned_for.day == 20
    assert visits == {
        org.branch["HF"]: 4,
        org.branch["FD"]: 4,
    }  # once a quarter each (policy: every 3 months)
    assert all(len(acts.monthly_plan(m)) >= 2 for m in months)  # self-inspections every month
    assert date(2027, 1, 5) == next(
        p.planned_for for p in acts.monthly_plan("2027-01") if p.kind.value == "self"
    )
