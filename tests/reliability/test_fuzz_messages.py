"""Property-based fuzzing (hypothesis) of every update and of the signal, against live cases.

Each payload is plain JSON from a client that knows nothing of this project. Every update
is either applied (it returns the new status) or refused with a non-empty reason; every
signal leaves one new timeline entry (applied, or recorded as rejected with the reason). No
payload may fail a workflow task (a stuck case), and afterwards a valid update still works.

Hypothesis runs in a thread of its own (its test function is synchronous) and hands each
payload to the event loop that runs the session's worker.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from cablecare.domain import FINAL_STATES
from tests.cases import (
    AREA_TECH,
    BUSINESS_LEAD,
    CALLBACK_AGENT,
    COUNTER,
    DISPATCHER,
    LEADER,
    OTHER_TECH,
    SUPERVISOR,
    TRAINEE,
)
from tests.reliability.conftest import FULL, SIZES
from workflows.service_request.messages import SIGNAL_TECHNICIAN_UPDATE, Update

pytestmark = pytest.mark.usefixtures("worker")

TQ = "cable-service"
FINAL = {s.value for s in FINAL_STATES}
CALL_TIMEOUT = 30.0

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
staff = st.sampled_from(
    [AREA_TECH, OTHER_TECH, TRAINEE, SUPERVISOR, LEADER, DISPATCHER, CALLBACK_AGENT, COUNTER]
    + [BUSINESS_LEAD, "NOBODY-1", "", "bad id!", "x" * 65]
)
text = st.one_of(
    st.just("checked the line"), st.text(max_size=40), st.just("   "), st.just("长" * 2001)
)
now = datetime.now(UTC)
moment = st.one_of(
    st.integers(min_value=-48, max_value=96).map(lambda h: (now + timedelta(hours=h)).isoformat()),
    st.just("2026-11-25T09:00:00"),  # no offset: refused (docs/contract.md)
    st.text(max_size=10),
)
FIELDS: dict[str, Any] = {
    "by": staff,
    "technician_id": staff,
    "leader_id": staff,
    "agent_id": staff,
    "note": text,
    "department": text,
    "contact": text,
    "resolution": text,
    "report": text,
    "items": st.lists(st.sampled_from(["id_card", "contract", "photo", "", "??"]), max_size=4),
    "status": st.sampled_from(["accepted", "en_route", "on_site", "waiting_parts", "napping"]),
    "window_start": moment,
    "window_end": moment,
    "extra_hours": st.integers(min_value=-5, max_value=1000),
    "approved": st.booleans(),
    "reached": st.booleans(),
    "satisfied": st.one_of(st.none(), st.booleans()),
    "problem_found": st.booleans(),
}
SHAPES: dict[str, list[str]] = {
    Update.SUBMIT_MATERIALS: ["by", "items"],
    Update.ACKNOWLEDGE: ["by", "note"],
    Update.REFER: ["by", "department", "contact", "reason"],
    Update.ASSIGN: ["by", "technician_id"],
    Update.SCHEDULE_VISIT: ["technician_id", "window_start", "window_end"],
    Update.REPORT_PROGRESS: ["technician_id", "status", "note"],
    Update.RESOLVE: ["by", "resolution"],
    Update.REPORT_UNREACHABLE: ["technician_id", "reason", "report"],
    Update.REQUEST_EXTENSION: ["by", "reason", "extra_hours"],
    Update.DECIDE_EXTENSION: ["leader_id", "approved", "note"],
    Update.DECLARE_FORCE_MAJEURE: ["leader_id", "reason"],
    Update.END_FORCE_MAJEURE: ["leader_id", "reason"],
    Update.RECORD_CALLBACK: ["agent_id", "reached", "satisfied", "problem_found", "note"],
    Update.CANCEL: ["by", "reason"],
}
SIGNAL_TYPES = {
    "progress": Update.REPORT_PROGRESS,
    "visit": Update.SCHEDULE_VISIT,
    "resolve": Update.RESOLVE,
    "unreachable": Update.REPORT_UNREACHABLE,
}


def _field(name: str, message: str) -> Any:
    if name == "reason":
        unreachable = st.sampled_from(["not_home", "unreachable", "materials_not_completed", "x"])
        base = unreachable if message == Update.REPORT_UNREACHABLE else text
    else:
        base = FIELDS[name]
    return st.one_of(base, base, base, junk)  # mostly well-typed, sometimes junk


@st.composite
def payload(draw: st.DrawFn, message: str) -> Any:
    # Hypothesis tries the simplest draws (0, the first alternative) first, so the well-formed
    # choice comes first everywhere and the broken ones are the higher draws.
    if draw(st.integers(0, 19)) == 19:
        return draw(junk)  # not even an object
    body = {}
    for name in SHAPES[message]:
        if draw(st.integers(0, 9)) < 9:  # a field is sometimes missing
            body[name] = draw(_field(name, message))
    if draw(st.integers(0, 9)) == 9:
        body["unexpected"] = draw(junk)
    return body


@st.composite
def signal_payload(draw: st.DrawFn) -> Any:
    kind = draw(st.sampled_from([*SIGNAL_TYPES, "teleport", None]))
    body = draw(payload(SIGNAL_TYPES.get(kind or "", Update.RESOLVE)))
    if isinstance(body, dict) and kind is not None:
        body["type"] = kind
    return body


def _request() -> dict[str, Any]:
    request_id = f"FZ-{uuid.uuid4().hex[:12]}"
    return {
        "request_id": request_id,
        "kind": "fault",
        "subscriber_id": "SUB-000002",
        "channel": "phone",
        "received_by": [{"staff_id": COUNTER, "rank": 1}],
        "description": "fuzzing",
    }


class LiveCase:
    """The case under fuzz; replaced by a fresh one once a payload has finished it."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.handle: WorkflowHandle[Any, Any] | None = None
        self.used: list[WorkflowHandle[Any, Any]] = []
        self.outcomes: Counter[str] = Counter()

    async def snapshot(self) -> dict[str, Any]:
        assert self.handle is not None
        for _ in range(400):  # bounded: ~20 s
            try:
                return dict(await self.handle.query("status"))
            except Exception as err:
                if "being registered" not in str(err):
                    raise
            await asyncio.sleep(0.05)
        raise AssertionError(f"{self.handle.id} never answered its status query")

    async def live(self) -> WorkflowHandle[Any, Any]:
        if self.handle is not None and (await self.snapshot())["state"] not in FINAL:
            return self.handle
        body = _request()
        self.handle = await self.client.start_workflow(
            "ServiceRequest", body, id=f"service-request-{body['request_id']}", task_queue=TQ
        )
        self.used.append(self.handle)
        for _ in range(400):
            if (await self.snapshot())["state"] == "assigned":
                return self.handle
            await asyncio.sleep(0.05)
        raise AssertionError(f"{self.handle.id} was never assigned")


async def _send_update(case: LiveCase, name: str, body: Any) -> None:
    handle = await case.live()
    try:
        result = await asyncio.wait_for(handle.execute_update(name, body), CALL_TIMEOUT)
    except WorkflowUpdateFailedError as refused:
        reason = str(refused.cause)
        assert reason.strip(), f"{name} refused without a reason: {body!r}"
        case.outcomes["refused"] += 1
        return
    assert isinstance(result, dict) and result.get("state"), result
    case.outcomes["applied"] += 1


async def _send_signal(case: LiveCase, body: Any) -> None:
    handle = await case.live()
    before = max((e["seq"] for e in (await case.snapshot())["timeline"]), default=0)
    await asyncio.wait_for(handle.signal(SIGNAL_TECHNICIAN_UPDATE, body), CALL_TIMEOUT)
    for _ in range(400):  # bounded: ~20 s
        timeline = (await case.snapshot())["timeline"]
        if max((e["seq"] for e in timeline), default=0) > before:
            new = [e for e in timeline if e["seq"] > before]
            assert all(e["detail"] for e in new if e["rejected"]), new
            case.outcomes["refused" if any(e["rejected"] for e in new) else "applied"] += 1
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"signal {body!r} left no trace in {handle.id}")


def _settings() -> settings:
    return settings(
        max_examples=SIZES.fuzz_examples_per_message,
        deadline=None,
        database=None,
        derandomize=not FULL,  # CI: the same examples every run; full size: new ones
        suppress_health_check=list(HealthCheck),
    )


@pytest.fixture
async def plain(env: WorkflowEnvironment) -> Client:
    config = env.client.service_client.config
    return await Client.connect(config.target_host, namespace=env.client.namespace)


@pytest.mark.parametrize("message", [*SHAPES, SIGNAL_TECHNICIAN_UPDATE])
async def test_every_payload_is_applied_or_refused_never_a_stuck_case(
    plain: Client, message: str
) -> None:
    loop = asyncio.get_running_loop()
    case = LiveCase(plain)

    def on_loop(coro: Any) -> None:
        asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=120)

    if message == SIGNAL_TECHNICIAN_UPDATE:

        @_settings()
        @given(signal_payload())
        def fuzz(body: Any) -> None:
            on_loop(_send_signal(case, body))
    else:

        @_settings()
        @given(payload(message))
        def fuzz(body: Any) -> None:
            on_loop(_send_update(case, message, body))

    await asyncio.wait_for(asyncio.to_thread(fuzz), 600)
    print(f"{message}: {dict(case.outcomes)} over {len(case.used)} case(s)")
    assert sum(case.outcomes.values()) >= SIZES.fuzz_examples_per_message // 2

    # Never stuck: no workflow task failed in any case the fuzzing touched ...
    for handle in case.used:
        events = [e.event_type async for e in handle.fetch_history_events()]
        assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in events, handle.id
    # ... and a valid update still works (the owner cancels; the case then completes).
    handle = await case.live()
    result = await handle.execute_update(
        Update.CANCEL.value, {"by": COUNTER, "reason": "end of fuzzing"}
    )
    assert result["state"] == "cancelled"
    assert (await asyncio.wait_for(handle.result(), CALL_TIMEOUT))["state"] == "cancelled"
