"""Issue 13.6, one rule for times: machines read UTC `Z`, people read the operator's zone with
its offset, to the minute (cablecare/timefmt.py). One test per surface."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlmodel import Session
from temporalio.client import Client
from typer.testing import CliRunner

from activities.case_tables import EscalationRecord
from activities.db import SessionFactory, get_engine, init_db
from activities.directory_load import load_directory_file
from activities.report_render import to_html, to_json
from activities.reports import monthly_report
from cablecare import REPO_ROOT
from cablecare.cli import app
from cablecare.policy import load_policy
from cablecare.settings import get_settings
from cablecare.timefmt import human, machine
from tests.cases import new_request, start, wait_for, yesterday_in_shanghai
from workflows.maintenance.messages import Delivery, MaintenanceNoticeStatus, Phase
from workflows.maintenance.wording import details_text
from workflows.service_request.workflow import ServiceRequest

POLICY = load_policy(REPO_ROOT / "policy" / "sla-policy.toml")
SHANGHAI_OFFSET = timezone(timedelta(hours=8))
UTC_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
HUMAN = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d \+08:00$")


def test_13_6_machine_is_utc_z_and_human_is_the_operator_zone_with_offset() -> None:
    moment = datetime(2026, 11, 25, 2, 0, 5, 123456, tzinfo=UTC)
    assert machine(moment) == "2026-11-25T02:00:05.123456Z"
    assert machine(moment.astimezone(SHANGHAI_OFFSET)) == "2026-11-25T02:00:05.123456Z"
    assert machine(datetime(2026, 11, 25, 10, tzinfo=SHANGHAI_OFFSET)) == "2026-11-25T02:00:00Z"
    assert human(moment, "Asia/Shanghai") == "2026-11-25 10:00 +08:00"  # no seconds, no µs
    assert human(moment, "Europe/Berlin") == "2026-11-25 03:00 +01:00"
    with pytest.raises(ValueError, match="no UTC offset"):
        machine(datetime(2026, 11, 25, 2))


def _datetimes(value: Any) -> Iterator[str]:
    """Every string in a JSON document that looks like a timestamp."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _datetimes(item)
    elif isinstance(value, list):
        for item in value:
            yield from _datetimes(item)
    elif isinstance(value, str) and re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d", value):
        yield value


@pytest.mark.usefixtures("worker")
async def test_13_6_status_payload_is_utc_z_and_timeline_texts_are_local(client: Client) -> None:
    """A case received with a +08:00 timestamp: every time in the `status` JSON is UTC Z
    (received_at included), and the texts staff read show the policy's zone with offset."""
    received = yesterday_in_shanghai(9, 30)
    handle = await start(client, new_request(received_at=received.isoformat()))
    await wait_for(handle, lambda s: s.clock.due_at is not None)
    raw = await handle.query(ServiceRequest.status.__name__, result_type=dict)
    times = list(_datetimes(raw))
    assert raw["received_at"] == f"{received.date().isoformat()}T01:30:00Z"
    assert len(times) >= 4 and all(UTC_Z.match(t) for t in times), times
    started = next(e for e in raw["timeline"] if e["type"] == "clock.started")
    due_text = re.search(r"due (.+)$", started["detail"])
    assert due_text and HUMAN.match(due_text.group(1)), started["detail"]
    await handle.terminate("test done")


def test_13_6_maintenance_ui_details_show_the_policy_zone() -> None:
    at = datetime(2026, 12, 2, 1, 0, 30, 987654, tzinfo=UTC)
    s = MaintenanceNoticeStatus(
        notice_id="N-1", kind="line_maintenance", area_ids=["A-HF-01"],
        starts_at=at + timedelta(days=1), ends_at=at + timedelta(days=1, hours=4), text="x",
        deliveries=[Delivery(revision=1, phase=Phase.NOTICE, template="t", at=at,
                             subscribers=3, captions=1)],
    )  # fmt: skip
    text = details_text(s)
    assert "window 2026-12-03 09:00 +08:00 to 2026-12-03 13:00 +08:00" in text
    assert "sent 2026-12-02 09:00 +08:00" in text and "987654" not in text
    assert json.loads(s.model_dump_json())["deliveries"][0]["at"] == "2026-12-02T01:00:30.987654Z"


@pytest.fixture
def db_cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    init_db(database_url)
    yield database_url
    get_settings.cache_clear()


def test_13_6_escalations_table_is_local_and_aligned_json_is_utc(db_cli: str) -> None:
    at = datetime(2026, 11, 20, 8, 15, 42, 654321, tzinfo=UTC)
    with SessionFactory(db_cli)() as session:
        for i, request in enumerate(["E-SHORT", "E-A-MUCH-LONGER-ID"]):
            session.add(
                EscalationRecord(
                    workflow_id=f"service-request-{request}", request_id=request,
                    area_id="A-HF-01", key=f"breach/{i}", kind="breach", rule="R4.7",
                    at=at + timedelta(hours=i), to=["SUP-HF-01"], reason="[red]limit passed",
                )
            )  # fmt: skip
        session.commit()
    runner = CliRunner()
    rows = json.loads(runner.invoke(app, ["escalations", "--json"]).stdout)
    assert [r["at"] for r in rows] == ["2026-11-20T09:15:42.654321Z", "2026-11-20T08:15:42.654321Z"]

    table = runner.invoke(app, ["escalations"])
    assert table.exit_code == 0, table.output
    lines = [line for line in table.stdout.splitlines() if "E-" in line]
    assert lines[0].startswith("2026-11-20 17:15 +08:00") and "654321" not in table.stdout
    assert "Asia/Shanghai" in table.stdout  # the header names the zone
    # Aligned: every column starts at the same place on every line, whatever the id length.
    assert len({line.index("A-HF-01") for line in lines}) == 1
    assert len({line.index("[red]limit passed") for line in lines}) == 1  # no markup either


def test_13_6_report_footer_is_local_and_json_is_utc(database_url: str) -> None:
    init_db(database_url)
    load_directory_file(database_url, REPO_ROOT / "data" / "sample-directory.json")
    with Session(get_engine(database_url)) as session:
        report = monthly_report(session, POLICY, "2026-11")
    report = report.model_copy(
        update={"computed_at": datetime(2026, 12, 1, 1, 2, 3, 456789, tzinfo=UTC)}
    )
    assert "生成于 2026-12-01 09:02 +08:00" in to_html(report)
    data = json.loads(to_json(report))
    assert data["computed_at"] == "2026-12-01T01:02:03.456789Z"
    assert data["starts"] == "2026-10-31T16:00:00Z"  # 1 Nov 00:00 in Shanghai
