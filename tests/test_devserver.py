"""The embedded dev server (`cablecare dev`, `make run`) and the logging set-up (issue 2, 3 and 10).

The dev server here is a second one, on free ports and in a tmp `var/`, next to the session's
`env` server of conftest.py.
"""

from __future__ import annotations

import io
import json
import logging
import socket
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from temporalio.client import Client, WorkflowExecutionStatus

from cablecare.devserver import DevServer, DevServerError, list_search_attributes
from cablecare.logging import configure_logging
from cablecare.search_attributes import ALL_KEYS


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


EXPECTED_ATTRIBUTES = {key.name: key.indexed_value_type.name for key in ALL_KEYS}


async def test_dev_server_registers_attributes_and_keeps_cases_across_restarts(
    tmp_path: Path,
) -> None:
    port, ui_port = _free_port(), _free_port()
    workflow_id = f"parked-{uuid.uuid4()}"

    async with DevServer(var_dir=tmp_path, port=port, ui_port=ui_port) as server:
        with urllib.request.urlopen(server.ui_url, timeout=5) as response:
            assert response.status == 200
        client = await Client.connect(server.address)
        assert await list_search_attributes(client) == EXPECTED_ATTRIBUTES
        # No worker serves this type or queue: the workflow just waits, like an open case.
        await client.start_workflow("NobodyServesThis", id=workflow_id, task_queue="parked")

    assert server.db_path.exists()
    assert not _listening(port) and not _listening(ui_port)

    # Same db file: the attributes are passed again (harmless) and the case is still there.
    async with DevServer(var_dir=tmp_path, port=port, ui_port=ui_port) as server:
        client = await Client.connect(server.address)
        assert await list_search_attributes(client) == EXPECTED_ATTRIBUTES
        description = await client.get_workflow_handle(workflow_id).describe()
        assert description.status == WorkflowExecutionStatus.RUNNING
        assert description.workflow_type == "NobodyServesThis"

    assert not _listening(port) and not _listening(ui_port)
    assert "Temporal Server" in server.log_path.read_text()


async def test_dev_server_refuses_a_taken_port(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = DevServer(var_dir=tmp_path, port=taken.getsockname()[1], ui_port=_free_port())
        with pytest.raises(DevServerError, match="already in use"):
            await server.start()
    assert server.process is None


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_logs_are_json_when_not_a_tty_and_sdk_records_go_through_structlog(
    restore_logging: None,
) -> None:
    out = io.StringIO()
    configure_logging("INFO", stream=out, temporal_core=False)
    configure_logging("INFO", stream=out, temporal_core=False)  # idempotent: one handler

    structlog.contextvars.bind_contextvars(request_id="R-1")
    try:
        structlog.get_logger("cablecare.test").info("case opened", kind="fault")
        logging.getLogger("temporalio.worker").warning(
            "poll failed after %d tries", 3, extra={"temporal_workflow": {"workflow_id": "w-1"}}
        )
        logging.getLogger("temporalio").debug("below the level: dropped")
    finally:
        structlog.contextvars.clear_contextvars()

    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == 2
    ours, sdk = lines
    assert ours["event"] == "case opened" and ours["kind"] == "fault"
    assert ours["request_id"] == "R-1" and ours["level"] == "info"
    assert ours["logger"] == "cablecare.test"
    assert ours["timestamp"].endswith("Z") and "T" in ours["timestamp"]
    assert sdk["event"] == "poll failed after 3 tries"
    assert sdk["logger"] == "temporalio.worker" and sdk["level"] == "warning"
    assert sdk["temporal_workflow"] == {"workflow_id": "w-1"}
    assert sdk["request_id"] == "R-1"


def test_logs_are_readable_text_on_a_terminal(restore_logging: None) -> None:
    out = _Tty()
    configure_logging("INFO", stream=out, temporal_core=False)
    logging.getLogger("temporalio").info("worker started")
    text = out.getvalue()
    assert "worker started" in text
    assert not text.lstrip().startswith("{")
