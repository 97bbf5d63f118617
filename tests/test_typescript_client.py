"""A second-language client (issue 13 item 12): examples/typescript-client, `@temporalio/client`
from npm, against `cablecare dev` with its payload encryption on (the client implements the
documented AES-GCM codec) and identity required (issue 10: each message carries the acting
person's token in the `cablecare_actor` header). It starts a case, signals, updates (two
refused: R8.1, and a technician naming the dispatcher) and queries.

Needs node >= 20 and npm with registry access for the first `npm ci`. Off CI a missing node
skips; under CI=true it is a failure, like a missing PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.api.sdk.v1 import WorkflowMetadata

from cablecare import REPO_ROOT
from cablecare.auth.issuer import LocalIssuer
from cablecare.client import connect
from cablecare.codec import AesGcmCodec, KeyRing
from tests.dev_process import DevProcess

CLIENT_DIR = REPO_ROOT / "examples" / "typescript-client"
COUNTER, TECHNICIAN, DISPATCHER = "CTR-HF-1", "T-HF-01-1", "DSP-HF"  # the client's defaults


def _npm() -> str:
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node and npm are required under CI=true (examples/typescript-client)")
        pytest.skip("node/npm not installed")
    return npm


def _build(npm: str) -> None:
    """`npm ci` from the committed lock file when node_modules is missing, then tsc."""
    if not (CLIENT_DIR / "node_modules" / "@temporalio" / "client").exists():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=CLIENT_DIR, check=True, timeout=600
        )
    subprocess.run([npm, "run", "build"], cwd=CLIENT_DIR, check=True, timeout=300)


async def test_typescript_client_starts_signals_updates_and_queries_an_encrypted_case(
    tmp_path: Path,
) -> None:
    npm = _npm()
    await asyncio.to_thread(_build, npm)
    # Identity as deployed by default (CABLECARE_AUTH=required), tokens from the dev issuer.
    dev = DevProcess(var_dir=tmp_path / "var", args=["--no-demo-cases"])
    dev.start()
    try:
        dev.wait_for("cablecare dev is running", timeout=240)
        issuer = LocalIssuer(dev.var_dir / "auth")
        tokens = tmp_path / "tokens.json"
        tokens.write_text(
            json.dumps(
                {s: issuer.issue(s, timedelta(hours=1)) for s in (COUNTER, TECHNICIAN, DISPATCHER)}
            )
        )

        def client_run(request_id: str, **env: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                ["node", "dist/client.js"],
                cwd=CLIENT_DIR,
                env={
                    "PATH": os.environ["PATH"],
                    "TEMPORAL_ADDRESS": dev.address,
                    "CABLECARE_CODEC_KEYS_FILE": str(dev.var_dir / "codec-keys"),
                    "REQUEST_ID": request_id,
                    **env,
                },
                capture_output=True,
                text=True,
                timeout=180,
            )

        # Without tokens the start itself is refused, and the client is told which header.
        unsigned = await asyncio.to_thread(client_run, f"TS-{uuid.uuid4().hex[:10]}")
        assert unsigned.returncode == 1 and "cablecare_actor" in unsigned.stderr, unsigned

        request_id = f"TS-{uuid.uuid4().hex[:10]}"
        run = await asyncio.to_thread(client_run, request_id, CABLECARE_TOKENS_FILE=str(tokens))
        assert run.returncode == 0, run.stderr + run.stdout
        seen = json.loads(run.stdout)
        assert seen["encrypted"] is True
        assert seen["assigned_state"] == "assigned" and seen["after_update"] == "in_progress"
        assert "T-HF-TRAINEE" in seen["refusal"] and "R8.1" in seen["refusal"]
        # Who acts is verified, not claimed: the technician's token cannot act as the dispatcher.
        assert f"the verified actor is {TECHNICIAN}" in seen["impersonation"], seen
        assert seen["final_state"] == "awaiting_callback"
        assert "progress.en_route" in seen["timeline"]  # the signal was applied

        # What the TS client sent is ciphertext on the server, readable with the key; and the
        # workflow itself gave the case its UI details (the TS client set no summary).
        keys = KeyRing.parse((dev.var_dir / "codec-keys").read_text())
        client = await connect(dev.address, codec=AesGcmCodec(keys), tls=False, api_key=None)
        handle = client.get_workflow_handle(seen["workflow_id"])
        raw = await connect(dev.address, codec=None, tls=False, api_key=None)
        history = await raw.get_workflow_handle(handle.id).fetch_history()
        started = history.events[0].workflow_execution_started_event_attributes
        assert started.input.payloads[0].metadata["encoding"] == b"binary/encrypted"
        details = ""
        for _ in range(150):  # set at the end of the workflow's flush, just after the state
            query = "__temporal_workflow_metadata"
            details = (await handle.query(query, result_type=WorkflowMetadata)).current_details
            if "awaiting_callback" in details:
                break
            await asyncio.sleep(0.1)
        assert request_id in details and "awaiting_callback" in details
    finally:
        assert dev.stop() == 0, dev.output()[-3000:]
