"""Operations (issue 5 item 5): Prometheus metrics, the activity log context, graceful shutdown
on SIGTERM, and `cablecare search-attributes apply` on a namespace that has none of them.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import structlog
from google.protobuf.duration_pb2 import Duration
from structlog.testing import capture_logs
from temporalio import activity, workflow
from temporalio.api.enums.v1 import EventType, IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from cablecare.cli.worker_cmd import run_until_stopped
from cablecare.devserver import list_search_attributes
from cablecare.search_attributes import (
    ALL_KEYS,
    SearchAttributeConflict,
    apply_search_attributes,
)
from cablecare.settings import Settings
from cablecare.telemetry import metrics_bind_address, telemetry_runtime
from worker.build import build_worker

EXPECTED = {key.name: key.indexed_value_type.name for key in ALL_KEYS}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- a probe workflow and its activities, outside the sandbox ------------------------------
@activity.defn(name="probe_log")
def probe_log(text: str) -> str:
    """Synchronous like the database activities: runs in the worker's thread pool."""
    structlog.get_logger("probe").info("probe.logged", text=text)
    return text


class Slow:
    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.finished = False

    @activity.defn(name="probe_slow")
    async def run(self, seconds: float) -> str:
        self.started.set()
        await asyncio.sleep(seconds)  # the worker is told to stop while this sleeps
        self.finished = True
        return "finished"


@workflow.defn(name="OperationsProbe")
class OperationsProbe:
    @workflow.run
    async def run(self, step: str) -> str:
        name = "probe_slow" if step == "slow" else "probe_log"
        arg: float | str = 1.5 if step == "slow" else step
        result: str = await workflow.execute_activity(
            name, arg, start_to_close_timeout=timedelta(seconds=30)
        )
        return result


def _probe_worker(client: Client, settings: Settings, queue: str, *activities: Any) -> Worker:
    return build_worker(
        client,
        settings,
        task_queue=queue,
        workflows=[OperationsProbe],
        activities=list(activities),
        workflow_runner=UnsandboxedWorkflowRunner(),
        graceful_shutdown_timeout=timedelta(seconds=10),
    )


# --- tests ------------------------------------------------------------------------------------
async def test_activity_logs_carry_workflow_id_request_id_and_activity_type(
    client: Client, worker_settings: Settings
) -> None:
    queue = f"ops-{uuid.uuid4()}"
    wid = f"service-request-LOG-{uuid.uuid4().hex[:8]}"
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        async with _probe_worker(client, worker_settings, queue, probe_log):
            await client.execute_workflow(OperationsProbe.run, "hello", id=wid, task_queue=queue)
    [line] = [entry for entry in logs if entry["event"] == "probe.logged"]
    assert line["workflow_id"] == wid
    assert line["request_id"] == wid.removeprefix("service-request-")
    assert line["activity_type"] == "probe_log"
    # Nothing leaks into the caller's context once the activity is done.
    assert "workflow_id" not in structlog.contextvars.get_contextvars()


async def test_sigterm_lets_the_running_activity_finish(
    client: Client, worker_settings: Settings
) -> None:
    queue = f"ops-{uuid.uuid4()}"
    slow = Slow()
    worker = _probe_worker(client, worker_settings, queue, slow.run)
    running = asyncio.create_task(run_until_stopped(worker))
    handle = await client.start_workflow(OperationsProbe.run, "slow", id=queue, task_queue=queue)
    await asyncio.wait_for(slow.started.wait(), 10)
    os.kill(os.getpid(), signal.SIGTERM)  # what `docker stop` sends
    await asyncio.wait_for(running, 15)
    assert slow.finished, "the activity was cut short"
    events = [e.event_type async for e in handle.fetch_history_events()]
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED in events


async def test_metrics_are_served_for_prometheus(env: WorkflowEnvironment) -> None:
    assert metrics_bind_address({}) is None  # off unless asked
    port = _free_port()
    bind = metrics_bind_address(
        {"CABLECARE_METRICS_PORT": str(port), "CABLECARE_METRICS_HOST": "127.0.0.1"}
    )
    assert bind == f"127.0.0.1:{port}"
    # Its own runtime, not the process-wide one: the session's clients stay as they are.
    runtime = telemetry_runtime(bind)
    config = env.client.service_client.config
    client = await Client.connect(
        config.target_host, namespace=env.client.namespace, runtime=runtime
    )
    await client.count_workflows()

    def scrape() -> str:
        with urllib.request.urlopen(f"http://{bind}/metrics", timeout=5) as response:
            return str(response.read().decode())

    text = await asyncio.to_thread(scrape)
    assert "temporal_request" in text
    with pytest.raises(ValueError, match="not a port"):
        metrics_bind_address({"CABLECARE_METRICS_PORT": "http"})


async def _fresh_namespace(client: Client) -> Client:
    name = f"ops-{uuid.uuid4().hex[:8]}"
    await client.workflow_service.register_namespace(
        RegisterNamespaceRequest(
            namespace=name, workflow_execution_retention_period=Duration(seconds=86400)
        )
    )
    config = client.service_client.config
    fresh = await Client.connect(config.target_host, namespace=name)
    for _ in range(100):  # the namespace cache takes a moment to see it
        try:
            await list_search_attributes(fresh)
            return fresh
        except Exception:
            await asyncio.sleep(0.1)
    raise AssertionError(f"namespace {name} never became usable")


async def test_search_attributes_apply_creates_them_once(client: Client) -> None:
    fresh = await _fresh_namespace(client)
    assert not set(EXPECTED) & set(await list_search_attributes(fresh))
    command = [
        str(Path(sys.executable).parent / "cablecare"),
        *("search-attributes", "apply"),
        *("--address", fresh.service_client.config.target_host, "--namespace", fresh.namespace),
    ]
    outputs = []
    for _ in range(2):  # the second run finds them all and changes nothing
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, err.decode()
        outputs.append(json.loads(out))
    assert sorted(outputs[0]["created"]) == sorted(EXPECTED) and outputs[0]["present"] == []
    assert outputs[1]["created"] == [] and sorted(outputs[1]["present"]) == sorted(EXPECTED)
    registered = await list_search_attributes(fresh)
    assert {name: registered[name] for name in EXPECTED} == EXPECTED


async def test_search_attributes_apply_refuses_a_retyped_attribute(client: Client) -> None:
    fresh = await _fresh_namespace(client)
    await fresh.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=fresh.namespace,
            search_attributes={"CsKind": IndexedValueType.INDEXED_VALUE_TYPE_TEXT},
        )
    )
    with pytest.raises(SearchAttributeConflict, match="CsKind"):
        await apply_search_attributes(fresh)
