"""Helpers for service-request tests: start cases and wait for what the workflow does."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from temporalio.client import Client, WorkflowHandle

from starter.service_request import start_service_request
from workflows.service_request.messages import ServiceRequestInput
from workflows.service_request.state import ServiceRequestSnapshot
from workflows.service_request.workflow import ServiceRequest

# Sample directory fixtures (data/README.md)
URBAN_SUBSCRIBER = "SUB-000002"  # ordinary, area A-HF-01 (urban, city company)
KEY_ACCOUNT = "SUB-000001"  # key account, area A-HF-01
RURAL_SUBSCRIBER = "SUB-000003"  # area A-FD-02 (rural, county branch)
AREA_TECH = "T-HF-01-1"
OTHER_TECH = "T-HF-02-1"
TRAINEE = "T-HF-TRAINEE"
SUPERVISOR = "SUP-HF-01"
LEADER = "LDR-HF"
DISPATCHER = "DSP-HF"
CALLBACK_AGENT = "CB-HF-1"


def yesterday_in_shanghai(hour: int, minute: int = 0) -> datetime:
    """A `received_at` inside the 7-day intake window (issue 9.4) whatever day the tests run:
    yesterday at hour:minute, +08:00."""
    day = datetime.now(timezone(timedelta(hours=8))) - timedelta(days=1)
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)


COUNTER = "CTR-HF-1"
BUSINESS_LEAD = "BL-HF"


def new_request(**fields: Any) -> ServiceRequestInput:
    base: dict[str, Any] = {
        "request_id": f"T-{uuid.uuid4().hex[:12]}",
        "kind": "fault",
        "subscriber_id": URBAN_SUBSCRIBER,
        "channel": "phone",
        "received_by": [{"staff_id": COUNTER, "rank": 1}],
        "description": "no signal on all channels",
    }
    base.update(fields)
    return ServiceRequestInput.model_validate(base)


async def start(client: Client, request: ServiceRequestInput) -> WorkflowHandle[Any, Any]:
    return await start_service_request(client, request)


async def status(handle: WorkflowHandle[Any, Any]) -> ServiceRequestSnapshot:
    return await handle.query(ServiceRequest.status, result_type=ServiceRequestSnapshot)


async def wait_for(
    handle: WorkflowHandle[Any, Any],
    predicate: Callable[[ServiceRequestSnapshot], bool],
    *,
    timeout: float = 15.0,
) -> ServiceRequestSnapshot:
    """Poll the status query until `predicate` holds (the workflow works asynchronously)."""
    deadline = asyncio.get_running_loop().time() + timeout
    last: ServiceRequestSnapshot | None = None
    while True:
        try:
            last = await status(handle)
            if predicate(last):
                return last
        except Exception as err:  # the first query may race intake
            if "being registered" not in str(err):
                raise
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not reached; last status: {last}")
        await asyncio.sleep(0.05)


async def settled_event_types(handle: WorkflowHandle[Any, Any], timeout: float = 15.0) -> list[int]:
    """The history's event types once the case is idle: no activity pending (the records of a
    step are written by a regular activity after the update has returned) and no new event
    between two reads. For tests that check a refused message leaves no trace."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last: list[int] = []
    while True:
        described = await handle.describe()
        types = [e.event_type async for e in handle.fetch_history_events()]
        idle = not described.raw_description.pending_activities
        if idle and types == last:
            return types
        if loop.time() > deadline:
            raise AssertionError(f"{handle.id} never settled")
        last = types
        await asyncio.sleep(0.2)
