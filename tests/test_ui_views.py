"""The Web UI for ops staff (issue 13 item 7): a case started with no summary by its client
still reads at a glance, from details the workflow sets; and the saved views of docs/ui.md
(breached, due in 4 h, my area) are valid visibility queries that find the right cases."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from cablecare import REPO_ROOT
from cablecare.domain import TASK_QUEUE, CaseState
from tests.cases import RURAL_SUBSCRIBER, new_request, wait_for
from workflows.service_request.messages import workflow_id

pytestmark = pytest.mark.usefixtures("worker")

VIEWS = dict(
    re.findall(
        r"<!-- view: ([\w-]+) -->\s*```text\n(.+?)\n```",
        (REPO_ROOT / "docs" / "ui.md").read_text("utf-8"),
    )
)


async def _start_without_summary(client: Client, **fields: object) -> WorkflowHandle:
    """As the `temporal` CLI or another SDK would: by name, plain JSON, no static summary."""
    request = new_request(**fields)
    return await client.start_workflow(
        "ServiceRequest",
        request.model_dump(mode="json", exclude_none=True),
        id=workflow_id(request.request_id),
        task_queue=TASK_QUEUE,
    )


async def _details(handle: WorkflowHandle, expect: str) -> str:
    """The UI's current details, polled until they contain `expect`: the workflow sets them at
    the end of its flush, a moment after the state the status query already shows."""
    details = ""
    for _ in range(150):
        metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
        details = metadata.current_details
        if expect in details:
            break
        await asyncio.sleep(0.1)
    return details


async def _ids(client: Client, query: str, among: set[str], want: set[str]) -> set[str]:
    """Which of `among` the query finds, polled until it is `want` (visibility lags a little)."""
    found: set[str] = set()
    for _ in range(100):
        found = {wf.id async for wf in client.list_workflows(query)} & among
        if found == want:
            break
        await asyncio.sleep(0.2)
    return found


async def test_r7_1_every_case_has_ui_details_from_the_workflow_whoever_started_it(
    env: WorkflowEnvironment,
) -> None:
    handle = await _start_without_summary(env.client, request_id=f"UI-{uuid.uuid4().hex[:8]}")
    await wait_for(handle, lambda s: s.state == CaseState.ASSIGNED)
    description = await handle.describe()
    assert await description.static_summary() is None  # the client gave none
    details = await _details(handle, "state **assigned**")
    request_id = handle.id.removeprefix("service-request-")
    assert details.startswith(f"### fault (ordinary) request {request_id} via phone")
    assert "state **assigned**" in details and "due " in details


async def test_r7_1_saved_views_find_breached_due_soon_and_area_cases(
    env: WorkflowEnvironment,
) -> None:
    assert set(VIEWS) == {"breached", "due-in-4h", "my-area"}
    tag = uuid.uuid4().hex[:8]
    now = datetime.now(UTC)
    breached = await _start_without_summary(env.client, request_id=f"UI-B-{tag}")
    await wait_for(breached, lambda s: s.clock.due_at is not None)
    await env.fast_forward(breached, timedelta(hours=25))
    await wait_for(breached, lambda s: s.clock.breached)
    # Received 21 h ago on a 24 h limit: due within the next 4 h, not breached.
    soon = await _start_without_summary(
        env.client, request_id=f"UI-S-{tag}", received_at=now - timedelta(hours=21)
    )
    later = await _start_without_summary(env.client, request_id=f"UI-L-{tag}")
    rural = await _start_without_summary(
        env.client, request_id=f"UI-R-{tag}", subscriber_id=RURAL_SUBSCRIBER
    )
    for handle in (soon, later, rural):
        await wait_for(handle, lambda s: s.clock.due_at is not None)
    mine = {breached.id, soon.id, later.id, rural.id}

    assert await _ids(env.client, VIEWS["breached"], mine, {breached.id}) == {breached.id}
    due_before = (now + timedelta(hours=4)).isoformat().replace("+00:00", "Z")
    due_query = VIEWS["due-in-4h"].format(due_before=due_before)
    assert await _ids(env.client, due_query, mine, {soon.id}) == {soon.id}
    area_query = VIEWS["my-area"].format(area_id="A-FD-02")  # the rural subscriber's area
    assert await _ids(env.client, area_query, mine, {rural.id}) == {rural.id}
