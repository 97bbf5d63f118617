"""A whole case driven by the `temporal` CLI alone: a Go gRPC client with JSON (issue 5 item 2).

Nothing of this project is imported on the client side; the commands are the ones of
docs/integration.md, against the session's dev server and its `cable-service` worker.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.conftest import temporal_binary

pytestmark = pytest.mark.usefixtures("worker")

TECH = "T-HF-01-1"  # the area technician of SUB-000002's area (sample directory)


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class TemporalCli:
    def __init__(self, address: str) -> None:
        self.address = address

    async def __call__(self, *args: str, timeout: float = 30) -> Run:
        # Asynchronous subprocess: the worker runs on this same event loop.
        process = await asyncio.create_subprocess_exec(
            temporal_binary(),
            *args,
            "--address",
            self.address,
            "--output",
            "json",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout)
        assert process.returncode is not None
        return Run(process.returncode, out.decode(), err.decode())

    async def ok(self, *args: str) -> Any:
        run = await self(*args)
        assert run.code == 0, f"temporal {' '.join(args)}\n{run.err}{run.out}"
        return run.json() if run.out.strip() else None

    async def update(self, workflow_id: str, name: str, payload: dict[str, Any]) -> Any:
        return await self.ok(
            *("workflow", "update", "execute", "--workflow-id", workflow_id),
            *("--name", name, "--input", json.dumps(payload)),
        )

    async def query(self, workflow_id: str, name: str) -> dict[str, Any]:
        answer = await self.ok("workflow", "query", "--workflow-id", workflow_id, "--name", name)
        result: dict[str, Any] = answer["queryResult"][0]
        return result

    async def wait_state(self, workflow_id: str, state: str, timeout: float = 20) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            run = await self("workflow", "query", "--workflow-id", workflow_id, "--name", "status")
            if run.code == 0 and run.json()["queryResult"][0]["state"] == state:
                result: dict[str, Any] = run.json()["queryResult"][0]
                return result
            assert asyncio.get_running_loop().time() < deadline, f"never {state}: {run}"
            await asyncio.sleep(0.1)


@pytest.fixture
def cli(env: WorkflowEnvironment) -> TemporalCli:
    return TemporalCli(env.client.service_client.config.target_host)


def _request(request_id: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "request_id": request_id,
        "kind": "fault",
        "severity": "ordinary",
        "subscriber_id": "SUB-000002",
        "channel": "phone",
        "received_by": [{"staff_id": "CTR-HF-1", "rank": 1}],
        "description": "no signal on any channel",
        "materials": [],
    }
    body.update(fields)
    return body


def _start_args(request: dict[str, Any], *extra: str) -> list[str]:
    return [
        *("workflow", "start", "--type", "ServiceRequest", "--task-queue", "cable-service"),
        *("--workflow-id", f"service-request-{request['request_id']}"),
        *("--input", json.dumps(request), *extra),
    ]


async def test_a_whole_case_through_the_temporal_cli(cli: TemporalCli) -> None:
    request = _request(f"CLI-{uuid.uuid4().hex[:10]}")
    wid = f"service-request-{request['request_id']}"

    started = await cli.ok(*_start_args(request, "--id-conflict-policy", "UseExisting"))
    # Idempotent start: the same request again is the same case.
    again = await cli.ok(*_start_args(request, "--id-conflict-policy", "UseExisting"))
    assert again["runId"] == started["runId"]
    # The CLI (Go SDK) prints the running case on a plain second start; --fail-existing asks
    # for Temporal's "already started" error that other SDKs raise by default.
    refused_start = await cli(*_start_args(request, "--fail-existing"))
    assert refused_start.code != 0 and "already" in refused_start.err.lower()

    snap = await cli.wait_state(wid, "assigned")
    assert snap["technician_id"] == TECH

    # The fire-and-forget signal of the technicians' mobile backend.
    await cli.ok(
        *("workflow", "signal", "--workflow-id", wid, "--name", "technician_update"),
        *("--input", json.dumps({"type": "progress", "technician_id": TECH, "status": "accepted"})),
    )
    await cli.wait_state(wid, "in_progress")

    # A refused update: non-zero exit, the reason on stderr, nothing changed.
    refused = await cli(
        *("workflow", "update", "execute", "--workflow-id", wid, "--name", "decide_extension"),
        *("--input", json.dumps({"leader_id": "CTR-HF-1", "approved": True})),
    )
    assert refused.code != 0
    assert "not a certified leader" in refused.err + refused.out

    result = await cli.update(
        wid, "report_progress", {"technician_id": TECH, "status": "on_site", "note": "at the door"}
    )
    assert result["name"] == "report_progress" and result["result"]["state"] == "in_progress"
    result = await cli.update(wid, "resolve", {"by": TECH, "resolution": "re-seated the F plug"})
    assert result["result"]["state"] == "awaiting_callback"
    result = await cli.update(
        wid,
        "record_callback",
        {"agent_id": "CB-HF-1", "reached": True, "satisfied": True, "problem_found": False},
    )
    assert result["result"]["state"] == "closed"

    status = await cli.query(wid, "status")
    assert status["state"] == "closed" and status["resolution"] == "re-seated the F plug"
    view = await cli.query(wid, "customer_view")
    assert view["state"] == "closed" and "timeline" not in view and "owner_id" not in view

    described = await cli.ok("workflow", "describe", "--workflow-id", wid)
    assert described["workflowExecutionInfo"]["status"] == "WORKFLOW_EXECUTION_STATUS_COMPLETED"
    # Listing by the contract's search attributes (visibility is eventually consistent).
    for _ in range(50):
        listed = await cli.ok(
            "workflow", "list", "--query", f'WorkflowId="{wid}" AND CsState="closed"'
        )
        if listed:
            break
        await asyncio.sleep(0.1)
    assert [w["execution"]["workflowId"] for w in listed] == [wid]


async def test_a_malformed_start_fails_the_workflow_with_the_fields(cli: TemporalCli) -> None:
    request = _request(f"CLI-{uuid.uuid4().hex[:10]}", kind="teleport")
    run = await cli(*["workflow", "execute", *_start_args(request)[2:]])
    assert run.code != 0
    failure = run.json()["closeEvent"]["workflowExecutionFailedEventAttributes"]["failure"]
    # The field and the reason; never the value (it could be personal data, issue 9.6).
    assert "kind" in failure["message"] and "Input should be" in failure["message"]
