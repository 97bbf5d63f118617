"""`cablecare dev` on a fresh `var/` (issue 13 items 3 and 4), as `make run` starts it.

One dev process, because it is the expensive part: its first run fills the server with demo
cases through the worker; then the test checks what a newcomer would see (cases in every state,
breached ones, a previous month with figures), that the server's database holds ciphertext
while the codec server the UI calls decodes it, and that a second `cablecare dev` on the same
`var/` is refused.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads
from temporalio.client import Client

from activities.assessment_activities import default_period
from cablecare.client import connect
from cablecare.codec import AesGcmCodec, KeyRing
from cablecare.policy import load_policy
from cablecare.search_attributes import CS_BREACHED, CS_STATE
from cablecare.settings import Settings
from starter.service_request import start_service_request
from tests.cases import COUNTER, URBAN_SUBSCRIBER, new_request
from tests.dev_process import CABLECARE, DevProcess
from workflows.scheduled.messages import AssessmentKind

PHONE = "13912345678"
# The states a case rests in with the sample directory (cablecare/cli/first_run.py says why
# `open` and `resolved` are only passed through).
RESTING_STATES = {
    "awaiting_materials",
    "assigned",
    "in_progress",
    "awaiting_callback",
    "closed",
    "deemed_completed",
    "cancelled",
}


async def _demo_states(client: Client) -> tuple[set[str], int, int]:
    states: set[str] = set()
    breached = 0
    async for wf in client.list_workflows("WorkflowId STARTS_WITH 'service-request-DEMO-'"):
        state = wf.typed_search_attributes.get(CS_STATE)
        if state:
            states.add(state)
        breached += bool(wf.typed_search_attributes.get(CS_BREACHED))
    soon = (datetime.now(UTC) + timedelta(hours=4)).isoformat().replace("+00:00", "Z")
    due_soon = await client.count_workflows(
        f"CsBreached = false AND CsDueAt < '{soon}' AND "
        "CsState IN ('open', 'assigned', 'in_progress')"
    )
    return states, breached, due_soon.count


def _decode_via_codec_server(dev: DevProcess, payloads: Payloads) -> str:
    """What the Web UI does: the browser posts the payloads from the UI's origin."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{dev.codec_port}/decode",
        data=json_format.MessageToJson(payloads).encode(),
        headers={"Content-Type": "application/json", "Origin": f"http://localhost:{dev.ui_port}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        decoded = Payloads()
        json_format.Parse(response.read().decode(), decoded)
    return "".join(p.data.decode(errors="replace") for p in decoded.payloads)


async def test_r13_dev_encrypts_payloads_shows_demo_cases_and_locks_its_var_dir(
    tmp_path: Path,
) -> None:
    dev = DevProcess(var_dir=tmp_path / "var")
    dev.start()
    try:
        dev.wait_for("demo cases ready", timeout=420)
        keys = KeyRing.parse((dev.var_dir / "codec-keys").read_text())
        assert (dev.var_dir / "codec-keys").stat().st_mode & 0o077 == 0, "key readable by others"

        # 3. A second `cablecare dev` on the same var/ (other ports) is refused at once.
        second = DevProcess(var_dir=dev.var_dir)
        refused = subprocess.run(
            second.command(), env=second.env(), capture_output=True, text=True, timeout=120
        )
        assert refused.returncode == 1
        assert "another `cablecare dev`" in refused.stdout + refused.stderr

        # 3. A case whose description carries a phone number, started by a client with the key.
        client = await connect(dev.address, codec=AesGcmCodec(keys), tls=False, api_key=None)
        request = new_request(
            request_id=f"T-{uuid.uuid4().hex[:8]}",
            subscriber_id=URBAN_SUBSCRIBER,
            received_by=[{"staff_id": COUNTER, "rank": 1}],
            description=f"please call back on {PHONE}",
        )
        handle = await start_service_request(client, request)
        raw = await Client.connect(dev.address)  # no key: what the server stores
        history = await raw.get_workflow_handle(handle.id).fetch_history()
        started = history.events[0].workflow_execution_started_event_attributes
        assert started.input.payloads[0].metadata["encoding"] == b"binary/encrypted"
        assert PHONE not in started.input.payloads[0].data.decode(errors="replace")
        # ... and the codec server the UI is wired to decodes it for staff.
        assert PHONE in _decode_via_codec_server(dev, started.input)
        settings = json.loads(
            urllib.request.urlopen(f"http://127.0.0.1:{dev.ui_port}/api/v1/settings").read()
        )
        assert settings["Codec"]["Endpoint"] == f"http://localhost:{dev.codec_port}"

        # 4. Cases in every resting state, breached ones, one due within 4 h.
        states, breached, due_soon = await _demo_states(raw)
        assert RESTING_STATES <= states, f"missing: {RESTING_STATES - states}"
        assert breached >= 3 and due_soon >= 1
    finally:
        assert dev.stop() == 0, dev.output()[-3000:]

    # 3. The server's database (and its WAL) never saw the phone number in clear.
    files = sorted(dev.var_dir.glob("temporal.db*"))
    assert files
    assert sum(f.read_bytes().count(PHONE.encode()) for f in files) == 0

    # 4. The previous month's report has figures, from what the workflows recorded.
    timezone = load_policy(Settings().policy_path).timezone
    month = default_period(AssessmentKind.MONTHLY, datetime.now(UTC), timezone)
    report = await asyncio.to_thread(
        subprocess.run,
        [CABLECARE, "report", "monthly", "--month", month, "--format", "json"],
        env=dev.env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    total = json.loads(report.stdout)["total"]
    assert total["complaints"] > 0 and total["work_orders"] > 0 and total["complaint_rate"] > 0

    # A restart on the same var/: the lock was released, the same key is reused, the encrypted
    # Schedules are re-applied, and no second batch of demo cases is run.
    again = DevProcess(var_dir=dev.var_dir)
    again.start()
    try:
        again.wait_for("cablecare dev is running", timeout=240)
        assert KeyRing.parse((dev.var_dir / "codec-keys").read_text()) == keys
    finally:
        assert again.stop() == 0, again.output()[-3000:]
    assert "demo cases" not in again.output()
