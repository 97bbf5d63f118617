"""Items 1 and 2 of issue 15 in isolation: intake and one flush, old code against new, in one
process on one SQLite file, alternating rounds (CPU time of this process per call).

    .venv/bin/python -m bench.activities_micro [--rounds 4] [--n 200] [--old 51bfddf]

It also prints the SQL statements of one warm call of each.

*Old* is the code of git revision `--old` (read with `git show`, loaded under another module
name): `prepare_case` with its per-role queries, and `record_case`'s ORM write (a read per
table, then row-by-row inserts). *New* is the working tree. Each flush writes a fresh case:
a work order, 3 timeline rows, 1 escalation, 1 callback and 2 outbox messages.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import event

from activities.case_activities import CaseActivities
from activities.case_records import CaseRecordActivities
from activities.db import SessionFactory
from activities.notifications import Channel, Notification, OutboxSender, RecipientKind
from bench.common import prepare_app_db
from cablecare import REPO_ROOT
from cablecare.domain import CaseState, Kind, Severity
from cablecare.settings import Settings
from workflows.service_request.activity_io import PrepareCaseInput, RecordCaseInput, WorkOrderData
from workflows.service_request.messages import StaffRef
from workflows.service_request.state import CallbackEntry, Escalation, EscalationKind, TimelineEntry

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _old_module(rev: str, path: str, name: str) -> ModuleType:
    source = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "show", f"{rev}:{path}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    spec = importlib.util.spec_from_loader(name, loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    exec(compile(source, f"{rev}:{path}", "exec"), module.__dict__)
    return module


def _flush(i: int) -> RecordCaseInput:
    rid = f"M-{i}"
    return RecordCaseInput(
        step=3,
        work_order=WorkOrderData(
            request_id=rid,
            workflow_id=f"service-request-{rid}",
            kind=Kind.FAULT,
            severity=Severity.ORDINARY,
            channel="phone",
            subscriber_id="SUB-000002",
            area_id="A-HF-01",
            owner_id="CTR-HF-1",
            technician_id="T-HF-01-1",
            state=CaseState.ASSIGNED,
            priority="normal",
            policy_version="2026.1",
            received_at=T0,
            clock_started_at=T0,
            due_at=T0 + timedelta(hours=24),
            breached=False,
            first_response_at=None,
            resolved_at=None,
            closed_at=None,
            reopened_count=0,
        ),
        events=[TimelineEntry(seq=s, at=T0, type="x") for s in range(1, 4)],
        escalations=[
            Escalation(
                key="warning-1-1",
                kind=EscalationKind.WARNING,
                rule="R7.3",
                at=T0,
                to=["T-HF-01-1"],
                reason="r",
            )
        ],
        callbacks=[
            CallbackEntry(
                seq=3,
                agent_id="CB-HF-1",
                at=T0,
                reached=True,
                satisfied=True,
                problem_found=False,
                note="",
            )
        ],
        notifications=[
            Notification(
                key=f"{rid}/staff_escalation/SUB-000002/{n}",
                channel=Channel.SMS,
                recipient_kind=RecipientKind.SUBSCRIBER,
                recipient_id="SUB-000002",
                template="staff_escalation",
                params={"request_id": rid, "reason": "r", "rule": "R7.3"},
            )
            for n in (1, 2)
        ],
    )


def _per_call_ms(call: Callable[[int], Any], start: int, n: int) -> float:
    started = time.process_time()
    for i in range(start, start + n):
        call(i)
    return (time.process_time() - started) / n * 1000


def _statements(sessions: SessionFactory, call: Callable[[int], Any]) -> int:
    """SQL statements one warm call sends to the database (commits not counted)."""
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    event.listen(sessions.engine, "before_cursor_execute", count)
    try:
        call(20_000_000)
    finally:
        event.remove(sessions.engine, "before_cursor_execute", count)
    return len(seen)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--old", default="51bfddf")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cablecare-micro-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'cablecare.db'}"
        prepare_app_db(url)
        sessions = SessionFactory(url)
        settings = Settings(database_url=url)
        old_records = _old_module(args.old, "activities/case_records.py", "old_case_records")
        old_cases = _old_module(args.old, "activities/case_activities.py", "old_case_activities")
        old_intake = old_cases.CaseActivities(sessions, OutboxSender(sessions), settings)
        new_intake = CaseActivities(sessions, OutboxSender(sessions), settings)
        old_write = old_records.CaseRecordActivities(sessions)._write
        new_write = CaseRecordActivities(sessions)._write
        intake = PrepareCaseInput(
            request_id="R-1",
            subscriber_id="SUB-000002",
            received_by=[StaffRef(staff_id="CTR-HF-1", rank=1)],
        )
        calls: dict[str, Callable[[int], Any]] = {
            "prepare_case old": lambda _i: old_intake.prepare_case(intake),
            "prepare_case new": lambda _i: new_intake.prepare_case(intake),
            "record flush old": lambda i: old_write(_flush(i)),
            "record flush new": lambda i: new_write(_flush(i)),
        }
        for name, call in calls.items():  # warm-up: imports, statement caches
            _per_call_ms(call, 10_000_000 + hash(name) % 1000 * 1000, 5)
        statements = {name: _statements(sessions, call) for name, call in calls.items()}
        results: dict[str, list[float]] = {name: [] for name in calls}
        start = 0
        for r in range(args.rounds):
            order = list(calls) if r % 2 == 0 else list(calls)[::-1]
            for name in order:
                results[name].append(_per_call_ms(calls[name], start, args.n))
                start += args.n
    for name, values in results.items():
        print(
            f"{name:17} median {statistics.median(values):6.2f} ms CPU per call "
            f"(min {min(values):.2f}, max {max(values):.2f})"
        )
    for name, count in statements.items():
        print(f"{name:17} {count} SQL statements per call (warm)")
    for what in ("prepare_case", "record flush"):
        ratios = [
            n / o for n, o in zip(results[f"{what} new"], results[f"{what} old"], strict=True)
        ]
        print(f"{what}: new/old per round {[round(x, 2) for x in ratios]}")


if __name__ == "__main__":
    main()
