"""One test (at least) per rule the ServiceRequest enforces, on the real server, real durations."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, select
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from activities.case_tables import CallbackRecord, CaseEvent, EscalationRecord, WorkOrder
from activities.db import get_engine
from activities.notification_tables import OutboxMessage
from cablecare.domain import CaseState
from cablecare.settings import Settings
from starter.accountability import open_case
from tests.cases import (
    AREA_TECH,
    BUSINESS_LEAD,
    CALLBACK_AGENT,
    COUNTER,
    DISPATCHER,
    KEY_ACCOUNT,
    LEADER,
    OTHER_TECH,
    RURAL_SUBSCRIBER,
    SUPERVISOR,
    TRAINEE,
    new_request,
    start,
    status,
    wait_for,
)
from workflows.accountability.messages import AccountabilityCaseInput, AccountabilityStatus
from workflows.service_request.messages import (
    AcknowledgeUpdate,
    AssignUpdate,
    CancelUpdate,
    DecideExtensionUpdate,
    ForceMajeureUpdate,
    RecordCallbackUpdate,
    ReferUpdate,
    ReportProgressUpdate,
    ReportUnreachableUpdate,
    RequestExtensionUpdate,
    ResolveUpdate,
    ScheduleVisitUpdate,
    SubmitMaterialsUpdate,
)
from workflows.service_request.state import EscalationKind
from workflows.service_request.workflow import ServiceRequest

pytestmark = pytest.mark.usefixtures("worker")

H = timedelta(hours=1)


def _kinds(snap) -> list[EscalationKind]:  # type: ignore[no-untyped-def]
    return [e.kind for e in snap.escalations]


async def _refused(handle, update, payload, words: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await handle.execute_update(update, payload)
    assert words in str(info.value.cause), str(info.value.cause)


# --- R2 first contact ----------------------------------------------------------------------
async def test_r2_2_highest_rank_is_first_responsible_and_r2_6_referral_keeps_owner(
    env: WorkflowEnvironment,
) -> None:
    """R2.1/R2.2: the highest rank owns the case (ties: first listed); R2.6 a referral keeps it."""
    req = new_request(
        received_by=[
            {"staff_id": COUNTER, "rank": 1},
            {"staff_id": DISPATCHER, "rank": 3},
            {"staff_id": "WL-HF", "rank": 3},
        ]
    )
    handle = await start(env.client, req)
    snap = await wait_for(handle, lambda s: s.state == CaseState.ASSIGNED)
    assert snap.owner_id == DISPATCHER
    snap = await handle.execute_update(
        ServiceRequest.refer,
        ReferUpdate(
            by=COUNTER,
            department="network operations",
            contact="0551-1234567",
            reason="backbone fibre",
            contacted=True,
        ),
    )
    assert snap.owner_id == DISPATCHER
    # (二)6: `contacted` is what staff said, no longer a constant True
    assert snap.referrals[0].department == "network operations" and snap.referrals[0].contacted


async def test_r2_3_every_channel_is_accepted(env: WorkflowEnvironment) -> None:
    for channel in ("phone", "counter", "online", "visit"):
        handle = await start(env.client, new_request(channel=channel, kind="consultation"))
        snap = await wait_for(handle, lambda s: s.clock.started_at is not None)
        assert snap.channel.value == channel


async def test_r2_5_all_missing_materials_in_one_answer_and_r4_1_clock_waits(
    env: WorkflowEnvironment,
) -> None:
    handle = await start(env.client, new_request(kind="installation", materials=["id_card"]))
    snap = await wait_for(handle, lambda s: s.state == CaseState.AWAITING_MATERIALS)
    assert snap.missing_materials == ["property_proof", "application_form", "service_agreement"]
    assert snap.clock.started_at is None and snap.clock.due_at is None  # R4.1
    await env.fast_forward(handle, timedelta(days=3))
    snap = await status(handle)
    assert snap.clock.started_at is None and not snap.escalations
    snap = await handle.execute_update(
        ServiceRequest.submit_materials, SubmitMaterialsUpdate(by=COUNTER, items=["property_proof"])
    )
    assert snap.missing_materials == ["application_form", "service_agreement"]
    await _refused(
        handle,
        ServiceRequest.submit_materials,
        SubmitMaterialsUpdate(by=COUNTER, items=["passport"]),
        "unknown material code",
    )
    snap = await handle.execute_update(
        ServiceRequest.submit_materials,
        SubmitMaterialsUpdate(by=COUNTER, items=["application_form", "service_agreement"]),
    )
    assert snap.missing_materials == [] and snap.clock.started_at is not None
    assert snap.clock.started_at >= snap.received_at + timedelta(days=3)  # clock started only now


async def test_r2_7_major_fault_and_key_account_notify_leadership(env: WorkflowEnvironment) -> None:
    handle = await start(env.client, new_request(severity="major"))
    snap = await wait_for(handle, lambda s: bool(s.escalations))
    assert (
        snap.escalations[0].kind == EscalationKind.LEADERSHIP_REPORT
        and LEADER in snap.escalations[0].to
    )
    assert snap.priority == "urgent"
    handle = await start(env.client, new_request(subscriber_id=KEY_ACCOUNT))
    snap = await wait_for(handle, lambda s: bool(s.escalations))
    assert snap.escalations[0].reason == "key account"
    handle = await start(env.client, new_request())
    snap = await wait_for(handle, lambda s: s.state == CaseState.ASSIGNED)
    assert not snap.escalations and snap.priority == "normal"


# --- R4 time limits ------------------------------------------------------------------------
async def test_r4_3_ordinary_fault_breach_after_24h_escalates_and_r4_7_opens_accountability(
    env: WorkflowEnvironment,
) -> None:
    handle = await start(env.client, new_request())
    await wait_for(handle, lambda s: s.state == CaseState.ASSIGNED)
    await env.fast_forward(handle, timedelta(hours=23, minutes=50))
    snap = await status(handle)
    assert EscalationKind.BREACH not in _kinds(snap)
    await env.fast_forward(handle, timedelta(minutes=20))
    snap = await wait_for(handle, lambda s: EscalationKind.BREACH in _kinds(s))
    breach = next(e for e in snap.escalations if e.kind == EscalationKind.BREACH)
    assert SUPERVISOR in breach.to and breach.rule == "R4.3"
    assert snap.clock.breached and snap.state == CaseState.ASSIGNED  # R4.7 the work goes on
    assert breach.accountability_case_id is not None
    acc = env.client.get_workflow_handle(f"accountability-{breach.accountability_case_id}")
    desc = await acc.describe()
    assert desc.workflow_type == "AccountabilityCase"
    # the request goes on and can still be resolved
    snap = await handle.execute_update(
        ServiceRequest.resolve, ResolveUpdate(by=AREA_TECH, resolution="fixed late")
    )
    assert snap.state == CaseState.AWAITING_CALLBACK


async def test_r4_3_major_fault_has_72h_and_leadership_on_breach(env: WorkflowEnvironment) -> None:
    handle = await start(env.client, new_request(severity="major"))
    snap = await wait_for(handle, lambda s: s.clock.due_at is not None)
    assert snap.clock.due_at - snap.clock.started_at == timedelta(hours=72)
    await env.fast_forward(handle, timedelta(hours=71))
    assert EscalationKind.BREACH not in _kinds(await status(handle))
    await env.fast_forward(handle, timedelta(hours=2))
    snap = await wait_for(handle, lambda s: EscalationKind.BREACH in _kinds(s))
    breach = next(e for e in snap.escalations if e.kind == EscalationKind.BREACH)
    assert LEADER in breach.to and SUPERVISOR in breach.to


async def test_r4_4_rural_installation_due_after_ten_working_days(env: WorkflowEnvironment) -> None:
    from cablecare.calendar import load_calendar

    handle = await start(
        env.client,
        new_request(
            kind="installation",
            subscriber_id=RURAL_SUBSCRIBER,
            materials=["id_card", "property_proof", "application_form", "service_agreement"],
        ),
    )
    snap = await wait_for(handle, lambda s: s.clock.due_at is not None)
    assert snap.clock.due_at == load_calendar().end_of_nth_working_day(snap.clock.started_at, 10)
    assert snap.clock.rule == "R4.4"


async def test_r4_5_unreachable_needs_a_report_and_goes_to_business_lead(
    env: WorkflowEnvironment,
) -> None:
    handle = await start(env.client, new_request())
    await wait_for(handle, lambda s: s.state == CaseState.ASSIGNED)
    await _refused(
        handle,
        ServiceRequest.report_unreachable,
        ReportUnreachableUpdate(technician_id=AREA_TECH, reason="not_home", report="   "),
        "written report is required",
    )
    snap = await handle.execute_update(
        ServiceRequest.report_unreachable,
        ReportUnreachableUpdate(
            technician_id=AREA_TECH, reason="not_home", report="called 3 times, note left"
        ),
    )
    assert snap.state == CaseState.DEEMED_COMPLETED
    report = next(e for e in snap.escalations if e.kind == EscalationKind.UNREACHABLE_REPORT)
    assert report.to == [BUSINESS_LEAD]
    await handle.result()


async def test_r4_6_extension_only_with_a_leaders_approval(env: WorkflowEnvironment) -> None:
    handle = await start(env.client, new_request())
    snap = await wait_for(handle, lambda s: s.state == CaseState.ASSIGNED)
    due = snap.clock.due_at
    snap = await handle.execute_update(
        ServiceRequest.request_extension,
        RequestExtensionUpdate(by=AREA_TECH, reason="parts", extra_hours=12),
    )
    assert (
        snap.clock.due_at == due and snap.pending_extension is not None
    )  # a request changes nothing
    await _refused(
        handle,
        ServiceRequest.decide_extension,
        DecideExtensionUpdate(leader_id=SUPERVISOR, approved=True),
        "not a certified leader",
    )
    snap = await handle.execute_update(
        ServiceRequest.decide_extension, DecideExtensionUpdate(leader_id=LEADER, approved=True)
    )
    assert snap.clock.due_at == due + timedelta(hours=12)
    await env.fast_forward(handle, timedelta(hours=25))
    assert EscalationKind.BREACH not in _kinds(await status(handle))
    await env.fast_forward(handle, timedelta(hours=12))
    await wait_for(handle, lambda s: EscalationKind.BREACH in _kinds(s))


async def test_r4_8_customer_view_hides_internal_notes(env: WorkflowEnvironment) -> None:
    handle = await start(env.client, new_request())
    await wait_for(handle, lambda s: s.state == CaseState.ASSIGNED)
    await handle.execute_update(
        ServiceRequest.report_progress,
        ReportProgressUpdate(
            technician_id=AREA_TECH, status="en_route", note="INTERNAL: customer rude"
        ),
    )
    view = await handle.query("customer_view")
    text = str(view)
    assert "INTERNAL" not in text and "timeline" not in view and "escalations" not in view
    assert view["state"] == "in_progress" and view["technician_id"] == AREA_TECH


# --- R5 callbacks --------------------------------------------------------------------------
async def test_r5_1_missing_callback_escalates_after_72h(env: WorkflowEnvironment) -> None:
    handle = await start(env.client, new_request())
    await wait_for(handle, lambda s: s.state == CaseState.ASSIGNED)
    await handle.execute_update(
        ServiceRequest.resolve, ResolveUpdate(by=AREA_TECH, resolution="ok")
    )
    await env.fast_forward(handle, timedelta(hours=71))
    assert EscalationKind.CALLBACK_OVERDUE not in _kinds(await status(handle))
    await env.fast_forward(handle, timedelta(hours=2))
    snap = await wait_for(handle, lambda s: EscalationKind.CALLBACK_OVERDUE in _kinds(s))
    assert snap.state == CaseState.AWAITING_CALLBACK  # the callback is still owed


async def test_r5_2_problem_found_reopens_with_new_limit_and_new_callback_r5_3_recorded(
    env: WorkflowEnvironment, worker_settings: Settings
) -> None:
    req = new_request()
    handle = await start(env.client, req)
    first = await wait_for(handle, lambda s: s.state == CaseState.ASSIGNED)
    await handle.execute_update(
        ServiceRequest.resolve, ResolveUpdate(by=AREA_TECH, resolution="ok")
    )
    await env.fast_forward(handle, timedelta(hours=30))
    snap = await handle.execute_update(
        ServiceRequest.record_callback,
        RecordCallbackUpdate(
            agent_id=CALLBACK_AGENT,
            reached=True,
            satisfied=False,
            problem_found=True,
            note="still no signal",
        ),
    )
    assert snap.state == CaseState.ASSIGNED and snap.clock.round == 2
    assert snap.clock.started_at > first.clock.started_at
    assert snap.clock.due_at == snap.clock.started_at + timedelta(hours=24)
    snap = await handle.execute_update(
        ServiceRequest.resolve, ResolveUpdate(by=AREA_TECH, resolution="replaced amplifier")
    )
    assert snap.state == CaseState.AWAITING_CALLBACK
    snap = await handle.execute_update(
        ServiceRequest.record_callback, RecordCallbackUpdate(agent_id=CALLBACK_AGENT, reached=False)
    )
    assert snap.state == CaseState.AWAITING_CALLBACK  # not reached: still owed
    snap = await handle.execute_update(
        ServiceRequest.record_callback,
        RecordCallbackUpdate(agent_id=CALLBACK_AGENT, reached=True, satisfied=True),
    )
    assert snap.state == CaseState.CLOSED
    await handle.result()
    with Session(get_engine(worker_settings.database_url)) as session:
        rows = session.exec(
            select(CallbackRecord).where(CallbackRecord.request_id == req.request_id)
        ).all()
        assert [(r.reached, r.problem_found) for r in rows] == [
            (True, True),
            (False, False),
            (True, False),
        ]
        order = session.get(WorkOrder, req.request_id)
        assert order is not None and order.state == "closed" and order.reopened_count == 1


async def test_r9_6_installation_is_called_back_but_consultation_is_not(
    env: WorkflowEnvironment,
) -> None:
    handle = await start(
        env.client,
        new_request(
            kind="installation",
            materials=["id_card", "property_proof", "application_form", "service_agreement"],
        ),
    )
    await wait_for(handle, lambda s: s.state == CaseState.ASSIGNED)
    snap = await handle.execute_update(
        ServiceRequest.resolve, ResolveUpdate(by=AREA_TECH, resolution="installed")
    )
    assert snap.state == CaseState.AWAITING_CALLBACK
    handle = await start(env.client, new_request(kind="consultation"))
    await wait_for(handle, lambda s: s.clock.started_at is not None)
    snap = await handle.execute_update(
        ServiceRequest.resolve, ResolveUpdate(by=COUNTER, resolution="explained tariffs")
    )
    assert snap.state == CaseState.CLOSED


# --- R7 / R8 / R9 ---------------------------------------------------------------------------
async def test_r7_3_warning_at_75_percent_to_assignee_and_owner(env: WorkflowEnvironment) -> None:
    handle = await start(env.client, new_request())
    await wait_for(handle, lambda s: s.state == CaseState.ASSIGNED)
    await env.fast_forward(handle, timedelta(hours=17, minutes=50))
    assert EscalationKind.WARNING not in _kinds(await status(handle))
    await env.fast_forward(handle, timedelta(minutes=20))
    snap = await wait_for(handle, lambda s: EscalationKind.WARNING in _kinds(s))
    warning = next(e for e in snap.escalations if e.kind == EscalationKind.WARNING)
    assert warning.to == [AREA_TECH, COUNTER] and EscalationKind.BREACH not in _kinds(snap)


async def test_r8_1_only_certified_technicians_and_only_dispatchers_reassign(
    env: WorkflowEnvironment,
) -> None:
    handle = await start(env.client, new_request())
    await wait_for(handle, lambda s: s.state == CaseState.ASSIGNED)
    await _refused(
        handle,
        ServiceRequest.assign,
        AssignUpdate(by=DISPATCHER, technician_id=TRAINEE),
        "not a certified technician",
    )
    await _refused(
        handle,
        ServiceRequest.assign,
        AssignUpdate(by=COUNTER, technician_id=OTHER_TECH),
        "not a certified dispatcher",
    )
    snap = await handle.execute_update(
        ServiceRequest.assign, AssignUpdate(by=DISPATCHER, technician_id=OTHER_TECH)
    )
    assert snap.technician_id == OTHER_TECH and snap.owner_id == COUNTER


async def test_r9_2_complaint_acknowledged_within_4h_else_escalates(
    env: WorkflowEnvironment,
) -> None:
    handle = await start(env.client, new_request(kind="complaint"))
    snap = await wait_for(handle, lambda s: s.clock.due_at is not None)
    assert snap.acknowledge_due_at == snap.received_at + timedelta(hours=4)
    assert snap.clock.rule == "R4.4"  # the answer: 3 working days, its own timer
    await env.fast_forward(handle, timedelta(hours=3, minutes=50))
    assert EscalationKind.ACKNOWLEDGE_OVERDUE not in _kinds(await status(handle))
    await env.fast_forward(handle, timedelta(minutes=20))
    snap = await wait_for(handle, lambda s: EscalationKind.ACKNOWLEDGE_OVERDUE in _kinds(s))
    assert SUPERVISOR in snap.escalations[-1].to
    snap = await handle.execute_update(
        ServiceRequest.acknowledge, AcknowledgeUpdate(by=COUNTER, note="called back")
    )
    assert snap.acknowledged_at is not None
    # the answer deadline is still running on its own timer
    assert EscalationKind.BREACH not in _kinds(snap)


async def test_r9_2_acknowledged_complaint_does_not_escalate(env: WorkflowEnvironment) -> None:
    handle = await start(env.client, new_request(kind="complaint"))
    await wait_for(handle, lambda s: s.clock.due_at is not None)
    await handle.execute_update(ServiceRequest.acknowledge, AcknowledgeUpdate(by=COUNTER))
    await env.fast_forward(handle, timedelta(hours=5))
    assert EscalationKind.ACKNOWLEDGE_OVERDUE not in _kinds(await status(handle))


async def test_r9_4_force_majeure_suspends_clock_only_when_a_leader_declares(
    env: WorkflowEnvironment,
) -> None:
    handle = await start(env.client, new_request())
    snap = await wait_for(handle, lambda s: s.state == CaseState.ASSIGNED)
    due = snap.clock.due_at
    reason = ForceMajeureUpdate(leader_id=AREA_TECH, reason="typhoon")
    await _refused(handle, ServiceRequest.declare_force_majeure, reason, "not a certified leader")
    await handle.execute_update(
        ServiceRequest.declare_force_majeure, ForceMajeureUpdate(leader_id=LEADER, reason="typhoon")
    )
    await env.fast_forward(handle, timedelta(hours=30))
    snap = await status(handle)
    assert snap.clock.paused and EscalationKind.BREACH not in _kinds(snap)
    snap = await handle.execute_update(
        ServiceRequest.end_force_majeure,
        ForceMajeureUpdate(leader_id=LEADER, reason="typhoon passed"),
    )
    assert not snap.clock.paused
    assert snap.clock.due_at - due >= timedelta(hours=30)  # moved by the time it stood still
    await env.fast_forward(handle, timedelta(hours=25))
    await wait_for(handle, lambda s: EscalationKind.BREACH in _kinds(s))


async def test_r9_7_missed_appointment_window_escalates(env: WorkflowEnvironment) -> None:
    handle = await start(env.client, new_request())
    snap = await wait_for(handle, lambda s: s.state == CaseState.ASSIGNED)
    now: datetime = snap.clock.started_at
    await handle.execute_update(
        ServiceRequest.schedule_visit,
        ScheduleVisitUpdate(
            technician_id=AREA_TECH, window_start=now + 2 * H, window_end=now + 4 * H
        ),
    )
    await env.fast_forward(handle, 5 * H)
    snap = await wait_for(handle, lambda s: EscalationKind.APPOINTMENT_MISSED in _kinds(s))
    esc = next(e for e in snap.escalations if e.kind == EscalationKind.APPOINTMENT_MISSED)
    assert esc.rule == "R9.7" and esc.accountability_case_id is not None and snap.visit.missed


async def test_r9_7_kept_appointment_does_not_escalate(env: WorkflowEnvironment) -> None:
    handle = await start(env.client, new_request())
    snap = await wait_for(handle, lambda s: s.state == CaseState.ASSIGNED)
    now: datetime = snap.clock.started_at
    await handle.execute_update(
        ServiceRequest.schedule_visit,
        ScheduleVisitUpdate(technician_id=AREA_TECH, window_start=now + H, window_end=now + 3 * H),
    )
    await env.fast_forward(handle, 2 * H)
    await handle.execute_update(
        ServiceRequest.report_progress,
        ReportProgressUpdate(technician_id=AREA_TECH, status="on_site"),
    )
    await env.fast_forward(handle, 3 * H)
    snap = await status(handle)
    assert snap.visit.kept and EscalationKind.APPOINTMENT_MISSED not in _kinds(snap)


# --- persistence ----------------------------------------------------------------------------
async def test_r7_1_case_records_reach_the_database_exactly_once(
    env: WorkflowEnvironment, worker_settings: Settings
) -> None:
    req = new_request()
    handle = await start(env.client, req)
    await wait_for(handle, lambda s: s.state == CaseState.ASSIGNED)
    await env.fast_forward(handle, timedelta(hours=25))
    await wait_for(handle, lambda s: EscalationKind.BREACH in _kinds(s))
    await handle.execute_update(
        ServiceRequest.resolve, ResolveUpdate(by=AREA_TECH, resolution="ok")
    )
    await handle.execute_update(
        ServiceRequest.record_callback,
        RecordCallbackUpdate(agent_id=CALLBACK_AGENT, reached=True, satisfied=True),
    )
    await handle.result()
    with Session(get_engine(worker_settings.database_url)) as session:
        order = session.get(WorkOrder, req.request_id)
        assert order is not None and order.state == "closed" and order.breached
        events = session.exec(
            select(CaseEvent)
            .where(CaseEvent.request_id == req.request_id)
            .order_by(col(CaseEvent.seq))  # PostgreSQL returns rows in no particular order
        ).all()
        assert [e.seq for e in events] == sorted({e.seq for e in events})  # each step once
        assert {"received", "clock.started", "assigned", "resolved", "closed"} <= {
            e.type for e in events
        }
        escalations = session.exec(
            select(EscalationRecord).where(EscalationRecord.request_id == req.request_id)
        ).all()
        assert sorted(e.kind for e in escalations) == ["breach", "warning"]
        sms = session.exec(
            select(OutboxMessage).where(OutboxMessage.key.startswith(req.request_id + "/"))
        ).all()  # type: ignore[attr-defined]
        templates = sorted(m.template for m in sms if m.channel == "sms")
        assert templates == ["case_received", "case_resolved"]
        assert all(req.description not in m.body for m in sms)


async def test_r2_9_overdue_counter_case_reaches_the_window_lead(env: WorkflowEnvironment) -> None:
    """R2.9: a case taken at a service window reports its breach to the window lead."""
    handle = await start(env.client, new_request(channel="counter"))
    await wait_for(handle, lambda s: s.state == CaseState.ASSIGNED)
    await env.fast_forward(handle, timedelta(hours=25))
    snap = await wait_for(handle, lambda s: EscalationKind.BREACH in _kinds(s))
    breach = next(e for e in snap.escalations if e.kind == EscalationKind.BREACH)
    assert "WL-HF" in breach.to and SUPERVISOR in breach.to


async def test_r6_4_breach_case_is_pursued_by_the_superior(env: WorkflowEnvironment) -> None:
    """R6.4 / R6.1: the accountability case names the technician and the area supervisor as the
    responsible lead; it outlives the request."""
    handle = await start(env.client, new_request())
    await wait_for(handle, lambda s: s.state == CaseState.ASSIGNED)
    await env.fast_forward(handle, timedelta(hours=25))
    snap = await wait_for(handle, lambda s: EscalationKind.BREACH in _kinds(s))
    case_id = next(e.accountability_case_id for e in snap.escalations if e.accountability_case_id)
    acc = env.client.get_workflow_handle(f"accountability-{case_id}")
    await handle.execute_update(ServiceRequest.cancel, CancelUpdate(by=COUNTER, reason="duplicate"))
    await handle.result()
    acc_status = await acc.query("status", result_type=AccountabilityStatus)
    assert acc_status.staff_id == AREA_TECH and acc_status.lead_id == SUPERVISOR
    assert acc_status.rule == "R4.3" and acc_status.state == "awaiting_statement"


async def test_r7_2_supervisor_opens_accountability_by_hand_after_persuasion_failed(
    env: WorkflowEnvironment,
) -> None:
    """R7.2: a supervisor hands a violation to accountability (R6); it waits for the statement."""
    data = AccountabilityCaseInput(
        case_id=f"MANUAL-{uuid.uuid4().hex[:8]}",
        staff_id=OTHER_TECH,
        lead_id=SUPERVISOR,
        rule="R9.7",
        violation="repeated late visits after a warning",
        opened_by=SUPERVISOR,
    )
    handle = await open_case(env.client, data)
    again = await open_case(env.client, data)  # one case, however often it is opened
    assert again.result_run_id == handle.result_run_id
    for _ in range(100):
        acc_status = await handle.query("status", result_type=AccountabilityStatus)
        if acc_status.statement_due_at is not None:
            break
        await asyncio.sleep(0.05)
    assert acc_status.state == "awaiting_statement" and acc_status.staff_id == OTHER_TECH


async def test_r4_1_complete_request_is_on_the_clock_from_when_it_was_received(
    env: WorkflowEnvironment,
) -> None:
    """R4.1 / R4.3: a call taken at 09:00 and registered at 11:00 is due at 09:00 next day."""
    received = datetime.now(UTC) - 2 * H
    handle = await start(env.client, new_request(received_at=received.isoformat()))
    snap = await wait_for(handle, lambda s: s.clock.due_at is not None)
    assert snap.clock.started_at == received
    assert snap.clock.due_at == received + timedelta(hours=24)
