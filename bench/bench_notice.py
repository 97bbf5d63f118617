"""Benchmark: a maintenance notice to an area of 100,000 subscribers (issue 13.10, R9.5).

    .venv/bin/python -m bench.bench_notice [--subscribers 100000]
        [--pg postgresql://postgres@127.0.0.1:5432/postgres] [--no-pg]

For each database (a fresh SQLite file; a fresh PostgreSQL database): the sample directory
plus N subscribers in one area (`cablecare directory load`), the embedded Temporal server on
free ports, one worker process (the product worker), then one `MaintenanceNotice` approved
as an emergency by a leader, so it is announced at once. Measured: from the start of the
workflow to its `notified` state (every SMS and the caption in the outbox, every delivery
row written), the number of SMS rows (must be one per subscriber), and the worker's CPU and
peak RSS. The goal is under 60 s. Results: bench/results/notice-latest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from activities.db import SessionFactory, get_engine
from activities.directory_load import load_directory_file
from activities.notification_tables import OutboxMessage
from bench.bench_import import drop_pg, fresh_pg
from bench.common import (
    prepare_app_db,
    proc_sample,
    server,
    spawn_worker,
    stop_process,
    wait_worker_polling,
)
from cablecare import REPO_ROOT
from cablecare.client import connect
from cablecare.domain import TASK_QUEUE, NoticeKind
from workflows.maintenance.messages import (
    MaintenanceNoticeInput,
    MaintenanceNoticeStatus,
    NoticeState,
    workflow_id,
)
from workflows.maintenance.workflow import MaintenanceNotice

RESULTS = REPO_ROOT / "bench" / "results" / "notice-latest.json"
AREA, LEADER = "A-FD-02", "LDR-FD"
GOAL_SECONDS = 60


def add_subscribers(url: str, folder: Path, n: int) -> None:
    path = folder / "area-subscribers.json"
    with path.open("w", encoding="utf-8") as fh:
        fh.write('{"subscribers": [')
        for i in range(n):
            row = {
                "subscriber_id": f"SUB-CITY-{i:07d}",
                "name": f"用户{i}",
                "phone": f"139{i:08d}",
                "address": f"某路{i % 997}号",
                "area_id": AREA,
            }
            fh.write(("," if i else "") + json.dumps(row, ensure_ascii=False))
        fh.write("]}")
    load_directory_file(url, path)


def sms_rows(url: str, notice_id: str) -> int:
    with SessionFactory(url)() as session:
        return int(
            session.exec(
                select(func.count())
                .select_from(OutboxMessage)
                .where(
                    col(OutboxMessage.key).startswith(f"maintenance-{notice_id}/"),
                    OutboxMessage.channel == "sms",
                )
            ).one()
        )


async def one_engine(url: str, folder: Path, n: int) -> dict[str, Any]:
    await asyncio.to_thread(prepare_app_db, url)
    await asyncio.to_thread(add_subscribers, url, folder, n)
    srv = server(folder / "temporal")
    await srv.start(timeout=90)
    worker = spawn_worker(srv.address, url, folder / "worker.log")
    try:
        client = await connect(srv.address)
        await wait_worker_polling(client, TASK_QUEUE, timeout=90)
        before = proc_sample(worker.pid)
        starts = datetime.now(UTC) + timedelta(hours=3)
        data = MaintenanceNoticeInput(
            notice_id=f"N-BENCH-{uuid.uuid4().hex[:6]}",
            area_ids=[AREA],
            starts_at=starts,
            ends_at=starts + timedelta(hours=4),
            kind=NoticeKind.LINE_MAINTENANCE,
            text="光缆割接，有线电视信号中断",
            emergency_approved_by=LEADER,
        )
        t0 = time.perf_counter()
        handle = await client.start_workflow(
            MaintenanceNotice.run, data, id=workflow_id(data.notice_id), task_queue=TASK_QUEUE
        )
        while True:
            snap = await handle.query(MaintenanceNotice.status, result_type=MaintenanceNoticeStatus)
            if snap.state == NoticeState.NOTIFIED:
                break
            await asyncio.sleep(0.2)
        seconds = time.perf_counter() - t0
        after = proc_sample(worker.pid)
        await handle.terminate("benchmark over")
        sms = await asyncio.to_thread(sms_rows, url, data.notice_id)
        told = snap.deliveries[-1].subscribers
        return {
            "seconds": round(seconds, 1),
            "subscribers_told": told,
            "sms_rows": sms,
            "exactly_once": sms == told,
            "messages_per_second": round(sms / seconds),
            "worker_cpu_seconds": round(after.cpu_s - before.cpu_s, 1),
            "worker_peak_rss_mb": round(after.peak_rss_mb),
        }
    finally:
        stop_process(worker)
        srv.stop()


async def main_async(args: argparse.Namespace) -> None:
    runs: list[dict[str, Any]] = []
    engines = ["sqlite"] + ([] if args.no_pg else ["postgresql"])
    if args.only:
        engines = [args.only]
    for engine in engines:
        with tempfile.TemporaryDirectory(prefix="bench-notice-") as tmp:
            folder = Path(tmp)
            url = f"sqlite:///{folder / 'app.db'}" if engine == "sqlite" else fresh_pg(args.pg)
            try:
                r = await one_engine(url, folder, args.subscribers)
            finally:
                get_engine(url).dispose()  # the pool's connections, before the drop
                if engine == "postgresql":
                    drop_pg(args.pg, url)
            r["engine"] = engine
            runs.append(r)
            print(json.dumps(r), flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "subscribers_added": args.subscribers,
                "goal_seconds": GOAL_SECONDS,
                "runs": runs,
            },
            indent=2,
        )
        + "\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
