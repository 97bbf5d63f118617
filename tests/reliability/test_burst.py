"""A burst of concurrent updates and signals over many cases: none lost, none applied twice.

Each message carries a unique note; afterwards every note is in its case's timeline exactly
once and in the case_event table exactly once.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import Any

import pytest
from sqlmodel import Session, col, select
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.case_tables import CaseEvent
from activities.db import get_engine
from cablecare.domain import CaseState
from cablecare.settings import Settings
from tests.cases import AREA_TECH, new_request, start, status, wait_for
from tests.reliability.conftest import SIZES
from workflows.service_request.messages import SIGNAL_TECHNICIAN_UPDATE, Update

pytestmark = pytest.mark.usefixtures("worker")

STATUSES = ["accepted", "en_route", "on_site", "waiting_parts"]


async def test_burst_of_updates_and_signals_none_lost_none_twice(
    env: WorkflowEnvironment, worker_settings: Settings
) -> None:
    run = uuid.uuid4().hex[:6]
    handles = [
        await start(env.client, new_request(request_id=f"BU-{run}-{i}"))
        for i in range(SIZES.burst_cases)
    ]
    for handle in handles:
        await wait_for(handle, lambda s: s.state == CaseState.ASSIGNED, timeout=60)

    notes: dict[str, list[str]] = {}
    sends = []
    for i, handle in enumerate(handles):
        notes[handle.id] = []
        for k in range(SIZES.burst_messages_per_case):
            note = f"{run}-{i}-{k}"
            notes[handle.id].append(note)
            body = {"technician_id": AREA_TECH, "status": STATUSES[k % 4], "note": note}
            if k % 2:
                sends.append(handle.signal(SIGNAL_TECHNICIAN_UPDATE, {"type": "progress", **body}))
            else:
                sends.append(handle.execute_update(Update.REPORT_PROGRESS.value, body))
    random.Random(run).shuffle(sends)
    await asyncio.wait_for(asyncio.gather(*sends), 180)  # every update accepted, no error

    async def all_in_timeline(handle: WorkflowHandle[Any, Any]) -> None:
        expected = notes[handle.id]
        snap = await wait_for(
            handle,
            lambda s: sum(e.detail in expected for e in s.timeline) >= len(expected),
            timeout=60,
        )
        details = [e.detail for e in snap.timeline if e.detail in expected]
        assert sorted(details) == sorted(expected), handle.id
        assert not any(e.rejected for e in snap.timeline)

    for handle in handles:
        await all_in_timeline(handle)

    everything = [n for ns in notes.values() for n in ns]
    engine = get_engine(worker_settings.database_url)
    rows: list[str] = []
    # The rows follow within a few workflow tasks; no further message is needed to push them
    # out (a message that arrived while the case was writing used to wait for the next one).
    for _ in range(100):
        with Session(engine) as session:
            rows = list(
                session.exec(select(CaseEvent.detail).where(col(CaseEvent.detail).in_(everything)))
            )
        if len(rows) >= len(everything):
            break
        await asyncio.sleep(0.2)
    assert sorted(rows) == sorted(everything), "each message exactly once in case_event"
    for handle in handles:
        assert (await status(handle)).state == CaseState.IN_PROGRESS
