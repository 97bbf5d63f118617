"""(七)2b `cablecare inspection`: a supervisor plans an inspection and records a finding from the
command line; a refused update exits 1 with the reason. Runs the installed command as a
subprocess against the session's server and its `cable-service` worker."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

pytestmark = pytest.mark.usefixtures("worker")
CABLECARE = str(Path(sys.executable).parent / "cablecare")


async def cablecare(env: WorkflowEnvironment, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        CABLECARE, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "TEMPORAL_ADDRESS": env.client.service_client.config.target_host},
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_7_2b_inspection_planned_and_finding_recorded_from_the_command_line(
    env: WorkflowEnvironment,
) -> None:
    iid = f"cli-{uuid.uuid4().hex[:8]}"
    code, out, err = await cablecare(
        env, "inspection", "plan", iid, "--kind", "supervision_office", "--inspector",
        "SUP-HF-01", "--target-kind", "outlet", "--target", "OUT-HF-1", "--branch", "HF",
        "--date", "2026-12-03", "--item", "pub-staff", "--item", "pub-phones",
    )  # fmt: skip
    assert code == 0, err
    for _ in range(50):  # the checklist arrives with the opening activity
        code, out, err = await cablecare(env, "inspection", "status", iid)
        if code == 0 and json.loads(out)["checklist"]:
            break
        await asyncio.sleep(0.2)
    assert [c["code"] for c in json.loads(out)["checklist"]] == ["pub-phones", "pub-staff"]
    code, out, err = await cablecare(
        env, "inspection", "finding", iid, "--finding", "F1", "--by", "SUP-HF-01",
        "--item", "pub-fees", "--description", "fee board missing",
    )  # fmt: skip
    assert code == 1 and "not on this inspection's checklist" in err
    code, out, err = await cablecare(
        env, "inspection", "finding", iid, "--finding", "F1", "--by", "SUP-HF-01",
        "--item", "pub-staff", "--description", "photos missing", "--responsible", "WL-HF",
    )  # fmt: skip
    assert code == 0, err
    finding = json.loads(out)["findings"][0]
    assert finding["state"] == "open" and finding["responsible_staff_id"] == "WL-HF"
