"""Who is acting (issue 10): every forged-actor attempt is refused, on a real server and a real
worker with auth *required* (tests/identity_helpers.py).

Roles: R4.6 (only a leader approves an extension), R9.4 (force majeure), R6 (a supervisor
decides accountability after the statement), R8.1 (assignments by a dispatcher).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlmodel import Session, select
from temporalio.api.enums.v1 import EventType
from temporalio.client import (
    Client,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)

from activities.accountability_tables import AccountabilityRecord
from activities.case_tables import CaseEvent
from activities.db import get_engine
from cablecare.domain import CaseState
from starter.service_request import start_service_request
from tests.cases import (
    AREA_TECH,
    CALLBACK_AGENT,
    COUNTER,
    DISPATCHER,
    LEADER,
    OTHER_TECH,
    SUPERVISOR,
    new_request,
    wait_for,
)
from tests.identity_helpers import AUDIENCE, Idp, SigningKey, identity_worker
from workflows.accountability.messages import (
    AccountabilityCaseInput,
    AccountabilityStatus,
    DecideUpdate,
    SubmitStatementUpdate,
)
from workflows.service_request.messages import (
    AssignUpdate,
    DecideExtensionUpdate,
    ForceMajeureUpdate,
    ReportUnreachableUpdate,
    RequestExtensionUpdate,
)
from workflows.service_request.workflow import ServiceRequest

SECOND_TECH = "T-HF-01-2"


@pytest_asyncio.fixture
async def idp(client: Client, tmp_path: Path) -> AsyncIterator[Idp]:
    async with identity_worker(client, tmp_path) as provider:
        yield provider


async def open_case(idp: Idp) -> WorkflowHandle[Any, Any]:
    """A fault case opened by the counter clerk who received it, with their own token."""
    counter = idp.as_actor(idp.token(COUNTER))
    handle = await start_service_request(counter, new_request(), task_queue=idp.queue)
    await wait_for(handle, lambda s: s.state == CaseState.ASSIGNED)
    return handle


def as_sender(idp: Idp, handle: WorkflowHandle[Any, Any], token: str | None) -> Any:
    return idp.as_actor(token).get_workflow_handle(handle.id)


async def refusal(call: Any) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await call
    cause = caught.value.cause
    return str(getattr(cause, "message", cause))


async def update_events(handle: WorkflowHandle[Any, Any]) -> int:
    history = await handle.fetch_history()
    accepted = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    return sum(1 for e in history.events if e.event_type == accepted)


async def test_update_without_actor_token_is_refused_and_leaves_no_trace(idp: Idp) -> None:
    handle = await open_case(idp)
    before = await update_events(handle)
    reason = await refusal(
        as_sender(idp, handle, None).execute_update(
            ServiceRequest.assign, AssignUpdate(by=DISPATCHER, technician_id=SECOND_TECH)
        )
    )
    assert "no actor token" in reason and "cablecare_actor" in reason
    assert await update_events(handle) == before  # validator refusal: nothing in history


async def test_counter_token_carrying_a_leaders_id_cannot_approve_extension_r4_6(
    idp: Idp,
) -> None:
    """The issue's example (a token for C-1001 carrying leader_id L-7001), with sample staff."""
    handle = await open_case(idp)
    tech = as_sender(idp, handle, idp.token(AREA_TECH))
    await tech.execute_update(
        ServiceRequest.request_extension,
        RequestExtensionUpdate(by=AREA_TECH, reason="cable must be replaced", extra_hours=720),
    )
    forged = as_sender(idp, handle, idp.token(COUNTER))
    reason = await refusal(
        forged.execute_update(
            ServiceRequest.decide_extension, DecideExtensionUpdate(leader_id=LEADER, approved=True)
        )
    )
    assert f"leader_id is {LEADER}, but the verified actor is {COUNTER}" in reason
    # The leader's own token is accepted, and the timeline records who and which login.
    leader_token = idp.token(LEADER)
    snap = await as_sender(idp, handle, leader_token).execute_update(
        ServiceRequest.decide_extension, DecideExtensionUpdate(leader_id=LEADER, approved=True)
    )
    assert snap.clock.extended_hours == 720
    entry = next(e for e in reversed(snap.timeline) if e.actor_id == LEADER)
    import jwt

    assert (
        entry.actor_token_id == jwt.decode(leader_token, options={"verify_signature": False})["jti"]
    )


@pytest.mark.parametrize("flaw", ["expired", "wrong_signature", "wrong_audience", "unknown_key"])
async def test_expired_forged_or_misdirected_tokens_cannot_declare_force_majeure_r9_4(
    idp: Idp, flaw: str
) -> None:
    handle = await open_case(idp)
    if flaw == "expired":
        token = idp.token(
            LEADER, ttl=timedelta(hours=1), issued_at=datetime.now(UTC) - timedelta(hours=2)
        )
        expected = "expired"
    elif flaw == "wrong_signature":  # the right key id, signed by someone else's key
        token = idp.token(LEADER, key=SigningKey(kid=idp.key.kid))
        expected = "signature does not verify"
    elif flaw == "wrong_audience":
        token = idp.token(LEADER, audience="another-system")
        expected = f"not {AUDIENCE}"
    else:
        token = idp.token(LEADER, key=SigningKey(kid="never-published"))
        expected = "not trusted"
    reason = await refusal(
        as_sender(idp, handle, token).execute_update(
            ServiceRequest.declare_force_majeure,
            ForceMajeureUpdate(leader_id=LEADER, reason="typhoon"),
        )
    )
    assert expected in reason


async def test_dispatcher_may_assign_but_not_approve_an_extension_r4_6(idp: Idp) -> None:
    handle = await open_case(idp)
    dispatcher = as_sender(idp, handle, idp.token(DISPATCHER))
    snap = await dispatcher.execute_update(
        ServiceRequest.assign, AssignUpdate(by=DISPATCHER, technician_id=SECOND_TECH)
    )
    assert snap.technician_id == SECOND_TECH
    await as_sender(idp, handle, idp.token(SECOND_TECH)).execute_update(
        ServiceRequest.request_extension,
        RequestExtensionUpdate(by=SECOND_TECH, reason="parts on order", extra_hours=24),
    )
    # Naming themselves: refused by role (R4.6); naming the leader: refused by identity.
    as_self = await refusal(
        dispatcher.execute_update(
            ServiceRequest.decide_extension,
            DecideExtensionUpdate(leader_id=DISPATCHER, approved=True),
        )
    )
    assert "not a certified leader of the city company" in as_self
    as_leader = await refusal(
        dispatcher.execute_update(
            ServiceRequest.decide_extension, DecideExtensionUpdate(leader_id=LEADER, approved=True)
        )
    )
    assert "verified actor is DSP-HF" in as_leader


async def test_forged_technician_signal_is_recorded_rejected_and_never_applied(idp: Idp) -> None:
    handle = await open_case(idp)
    progress = {"type": "progress", "technician_id": AREA_TECH, "status": "on_site"}
    await as_sender(idp, handle, idp.token(OTHER_TECH)).signal("technician_update", progress)
    snap = await wait_for(handle, lambda s: any(e.type == "signal.rejected" for e in s.timeline))
    rejected = next(e for e in snap.timeline if e.type == "signal.rejected")
    assert rejected.rejected and f"verified actor is {OTHER_TECH}" in rejected.detail
    assert snap.state == CaseState.ASSIGNED  # not applied
    await as_sender(idp, handle, None).signal("technician_update", progress)
    await wait_for(handle, lambda s: sum(e.type == "signal.rejected" for e in s.timeline) == 2)
    # The technician's own token: applied, and stamped with the actor.
    await as_sender(idp, handle, idp.token(AREA_TECH)).signal("technician_update", progress)
    snap = await wait_for(handle, lambda s: s.state == CaseState.IN_PROGRESS)
    assert snap.timeline[-1].actor_id == AREA_TECH and snap.timeline[-1].actor_token_id


async def test_start_without_token_fails_the_case_at_once(idp: Idp) -> None:
    handle = await start_service_request(idp.as_actor(None), new_request(), task_queue=idp.queue)
    with pytest.raises(WorkflowFailureError) as caught:
        await handle.result()
    assert "no actor token" in str(getattr(caught.value.cause, "message", ""))


async def test_a_clerk_cannot_open_a_case_received_by_someone_else(idp: Idp) -> None:
    other_clerk = idp.as_actor(idp.token("CTR-HF-2"))
    handle = await start_service_request(other_clerk, new_request(), task_queue=idp.queue)
    with pytest.raises(WorkflowFailureError) as caught:
        await handle.result()
    assert "not among received_by" in str(getattr(caught.value.cause, "message", ""))


async def test_service_identity_may_start_cases_but_not_decide_accountability_r6(
    idp: Idp,
) -> None:
    crm = idp.as_actor(idp.token("crm"))
    case = await start_service_request(crm, new_request(), task_queue=idp.queue)
    await wait_for(case, lambda s: s.state == CaseState.ASSIGNED)
    # A supervisor opens an accountability case by hand, with their own token.
    case_id = f"ID-{uuid.uuid4().hex[:8]}"
    supervisor_token = idp.token(SUPERVISOR)
    acc = await idp.as_actor(supervisor_token).start_workflow(
        "AccountabilityCase",
        AccountabilityCaseInput(
            case_id=case_id,
            staff_id=AREA_TECH,
            lead_id=None,  # one party: (六)5 would wait for a lead to be heard too
            rule="R9.7",
            violation="missed appointment",
            opened_by=SUPERVISOR,
        ),
        id=f"accountability-{case_id}",
        task_queue=idp.queue,
        result_type=AccountabilityStatus,
    )
    tech_token = idp.token(AREA_TECH)
    await as_sender(idp, acc, tech_token).execute_update(
        "submit_statement", SubmitStatementUpdate(staff_id=AREA_TECH, statement="traffic jam")
    )
    decide = DecideUpdate(supervisor_id=SUPERVISOR, severity="grave")
    reason = await refusal(
        as_sender(idp, acc, idp.token("crm")).execute_update(
            "decide", decide, result_type=AccountabilityStatus
        )
    )
    assert "service identity crm may not do AccountabilityCase.decide" in reason
    reason = await refusal(
        as_sender(idp, acc, idp.token(AREA_TECH)).execute_update(
            "decide", decide, result_type=AccountabilityStatus
        )
    )
    assert "verified actor is T-HF-01-1" in reason
    status = await as_sender(idp, acc, supervisor_token).execute_update(
        "decide", decide, result_type=AccountabilityStatus
    )
    import jwt

    jti = jwt.decode(supervisor_token, options={"verify_signature": False})["jti"]
    assert status.decision is not None and status.decision.token_id == jti
    await acc.result()
    with Session(get_engine(idp.settings.database_url)) as session:
        row = session.get(AccountabilityRecord, case_id)
        assert row is not None and row.supervisor_id == SUPERVISOR
        assert row.decision_token_id == jti  # the decision traced to one login
        heard = jwt.decode(tech_token, options={"verify_signature": False})["jti"]
        assert row.statement_token_id == heard


async def test_accepted_messages_write_the_actor_into_case_event_rows(idp: Idp) -> None:
    handle = await open_case(idp)
    token = idp.token(DISPATCHER)
    await as_sender(idp, handle, token).execute_update(
        ServiceRequest.assign, AssignUpdate(by=DISPATCHER, technician_id=SECOND_TECH)
    )
    await as_sender(idp, handle, idp.token(CALLBACK_AGENT)).execute_update(
        ServiceRequest.cancel, {"by": CALLBACK_AGENT, "reason": "customer withdrew"}
    )
    await handle.result()

    def rows() -> list[CaseEvent]:
        with Session(get_engine(idp.settings.database_url)) as session:
            return list(session.exec(select(CaseEvent).where(CaseEvent.workflow_id == handle.id)))

    events = rows()
    assigned = [e for e in events if e.actor_id == DISPATCHER]
    assert assigned and all(e.actor_token_id for e in assigned)
    assert any(e.actor_id == COUNTER for e in events)  # the start: who received the case
    assert all(token not in (e.detail or "") for e in events)  # never the token itself


async def test_breach_opening_needs_the_workers_service_identity_not_a_technician_r6_1(
    idp: Idp,
) -> None:
    """`opened_by: system` is the workers' own service identity (a breach, R4.7/R6.1); a person
    cannot open a case in the system's name, and a technician cannot open one at all by hand
    without naming themselves."""

    def case(opened_by: str) -> AccountabilityCaseInput:
        return AccountabilityCaseInput(
            case_id=f"ID-{uuid.uuid4().hex[:8]}",
            staff_id=AREA_TECH,
            rule="R4.3",
            violation="fault not solved in 24 h",
            opened_by=opened_by,
        )

    async def opened(token: str, data: AccountabilityCaseInput) -> WorkflowHandle[Any, Any]:
        return await idp.as_actor(token).start_workflow(
            "AccountabilityCase",
            data,
            id=f"accountability-{data.case_id}",
            task_queue=idp.queue,
            result_type=AccountabilityStatus,
        )

    by_worker = await opened(idp.token("cablecare-worker"), case("system"))
    status = await by_worker.query("status", result_type=AccountabilityStatus)
    assert status.staff_id == AREA_TECH
    forged = await opened(idp.token(OTHER_TECH), case("system"))
    with pytest.raises(WorkflowFailureError) as caught:
        await forged.result()
    assert "opened_by is system, but the verified actor is T-HF-02-1" in str(
        getattr(caught.value.cause, "message", "")
    )
    # Naming themselves passes the identity check, but a technician may not open a case by hand:
    # only a supervisor, the supervision office or a leader (R7.2), read from the directory.
    by_hand = await opened(idp.token(OTHER_TECH), case(OTHER_TECH))
    with pytest.raises(WorkflowFailureError) as caught:
        await by_hand.result()
    cause = caught.value.cause
    assert getattr(cause, "type", None) == "NotPermitted", cause
    assert "opened_by T-HF-02-1 is not a supervisor" in str(getattr(cause, "message", ""))


async def test_a_clerk_cannot_send_a_maintenance_notice_as_an_emergency_of_a_leader_r9_5(
    idp: Idp,
) -> None:
    """The issue's forged SMS/TV caption: a plan naming a leader's emergency approval must come
    from that leader."""
    starts_at = datetime.now(UTC) + timedelta(hours=2)
    handle = await idp.as_actor(idp.token(COUNTER)).start_workflow(
        "MaintenanceNotice",
        {
            "notice_id": f"ID-{uuid.uuid4().hex[:8]}",
            "area_ids": ["A-HF-01"],
            "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + timedelta(hours=2)).isoformat(),
            "kind": "line_maintenance",
            "text": "my own text",
            "planned_by": COUNTER,
            "emergency_approved_by": LEADER,
        },
        id=f"maintenance-ID-{uuid.uuid4().hex[:8]}",
        task_queue=idp.queue,
    )
    with pytest.raises(WorkflowFailureError) as caught:
        await handle.result()
    assert f"emergency_approved_by is {LEADER}" in str(getattr(caught.value.cause, "message", ""))


async def test_a_verified_outsider_cannot_plan_maintenance_r9_5(idp: Idp) -> None:
    """A valid token of someone the staff directory does not know (any account of the identity
    provider) names itself as planner: refused, nothing announced to subscribers."""
    starts_at = datetime.now(UTC) + timedelta(days=3)
    handle = await idp.as_actor(idp.token("X-NOT-STAFF")).start_workflow(
        "MaintenanceNotice",
        {
            "notice_id": f"ID-{uuid.uuid4().hex[:8]}",
            "area_ids": ["A-HF-01"],
            "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + timedelta(hours=2)).isoformat(),
            "kind": "line_maintenance",
            "text": "outage",
            "planned_by": "X-NOT-STAFF",
        },
        id=f"maintenance-ID-{uuid.uuid4().hex[:8]}",
        task_queue=idp.queue,
    )
    with pytest.raises(WorkflowFailureError) as caught:
        await handle.result()
    cause = caught.value.cause
    assert getattr(cause, "type", None) == "NotPermitted", cause
    assert "planned_by X-NOT-STAFF is not in the staff directory" in str(
        getattr(cause, "message", "")
    )


@pytest.mark.parametrize(
    ("attempt", "sender", "update", "payload"),
    [
        (
            "force majeure declared by a clerk naming the leader (R9.4)",
            COUNTER,
            ServiceRequest.declare_force_majeure,
            ForceMajeureUpdate(leader_id=LEADER, reason="typhoon"),
        ),
        (
            "technician reassigned by a technician naming the dispatcher (R3.1)",
            OTHER_TECH,
            ServiceRequest.assign,
            AssignUpdate(by=DISPATCHER, technician_id=OTHER_TECH),
        ),
        (
            "case deemed completed by a clerk naming its technician (R4.5)",
            COUNTER,
            ServiceRequest.report_unreachable,
            ReportUnreachableUpdate(
                technician_id=AREA_TECH, reason="not_home", report="nobody home"
            ),
        ),
    ],
)
async def test_forged_actor_attempts_of_the_issue_are_refused_without_trace(
    idp: Idp, attempt: str, sender: str, update: Any, payload: Any
) -> None:
    handle = await open_case(idp)
    before = await update_events(handle)
    reason = await refusal(
        as_sender(idp, handle, idp.token(sender)).execute_update(update, payload)
    )
    assert f"but the verified actor is {sender}" in reason, attempt
    assert await update_events(handle) == before
