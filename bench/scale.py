"""`make bench-scale`: 20,000 open fault cases waiting on their real deadlines, one worker.

    .venv/bin/python -m bench.scale [--cases 20000] [--concurrency 48]

Deadlines are the real ones (24 h for an ordinary urban fault, the R7.3 warning at 75%): no
shrunk policy. The server runs with per-workflow time skipping allowed; the cases start with
it *off*, so they wait on durable timers exactly as in production. After the measurements of
the idle state, every case's own clock is fast-forwarded 25 h (`TimeSkipper.fast_forward`)
and the application database must show one breach escalation per case, recorded at its
deadline (escalation.at == work_order.due_at, on the case's virtual clock).

Reports: time to start all cases (start calls, then until every case is assigned and waiting
on its timer, read from visibility: CsState), worker RSS with its workflow cache size, server
database bytes per open case, idle CPU, fast-forward throughput. Writes
bench/results/scale-latest.json.
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

from sqlalchemy import text
from temporalio.client import Client
from temporalio.testing import TimeSkipper, TimeSkippingConfig

from activities.db import get_engine
from bench.common import (
    prepare_app_db,
    proc_sample,
    run_and_write,
    server,
    spawn_worker,
    stop_process,
    wait_worker_polling,
)
from bench.run import COUNTER, SUBSCRIBER
from cablecare.client import connect
from cablecare.domain import TASK_QUEUE
from starter.service_request import start_service_request
from workflows.service_request.messages import ServiceRequestInput

RESULTS = Path(__file__).parent / "results" / "scale-latest.json"
CACHE = 1000  # the SDK default max_cached_workflows, as `cablecare worker` runs


def _db_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.glob("temporal.db*"))


async def _count(client: Client, query: str) -> int:
    return (await client.count_workflows(query)).count


async def _wait_count(client: Client, query: str, want: int, timeout: float) -> float:
    started = time.monotonic()
    while (have := await _count(client, query)) < want:
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{query}: {have} of {want} after {timeout:.0f} s")
        await asyncio.sleep(2)
    return time.monotonic() - started


async def _gather_bounded(n: int, concurrency: int, job: Any) -> None:
    gate = asyncio.Semaphore(concurrency)
    done = 0

    async def one(i: int) -> None:
        nonlocal done
        async with gate:
            await asyncio.wait_for(job(i), 300)
        done += 1
        if done % 2000 == 0:
            print(f"  {done}/{n}", flush=True)

    await asyncio.gather(*(one(i) for i in range(n)))


async def scale(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="cablecare-scale-") as tmp:
        root = Path(tmp)
        database_url = f"sqlite:///{root / 'cablecare.db'}"
        prepare_app_db(database_url)
        temporal = server(root / "temporal", time_skipping=True)
        worker = None
        await temporal.start(timeout=90)
        try:
            assert temporal.process is not None
            worker = spawn_worker(
                temporal.address,
                database_url,
                root / "worker.log",
                PYTHONDONTWRITEBYTECODE="",
                PYTHONPYCACHEPREFIX=str(root / "pycache"),
                BENCH_MAX_CACHED_WORKFLOWS=str(CACHE),
            )
            skipper = TimeSkipper(
                await connect(temporal.address), config=TimeSkippingConfig(enabled=False)
            )
            client = skipper.client
            await wait_worker_polling(client, TASK_QUEUE)
            db_before = _db_bytes(root / "temporal")
            run = uuid.uuid4().hex[:6]
            ids = [f"S-{run}-{i}" for i in range(args.cases)]

            async def start(i: int) -> None:
                request = ServiceRequestInput.model_validate(
                    {
                        "request_id": ids[i],
                        "kind": "fault",
                        "subscriber_id": SUBSCRIBER,
                        "channel": "phone",
                        "received_by": [{"staff_id": COUNTER, "rank": 1}],
                    }
                )
                await start_service_request(client, request)

            print(f"starting {args.cases} cases ...", flush=True)
            t0 = time.monotonic()
            await _gather_bounded(args.cases, args.concurrency, start)
            started_s = time.monotonic() - t0
            waiting = "WorkflowType='ServiceRequest' AND CsState='assigned'"
            await _wait_count(client, waiting, args.cases, timeout=3600)
            all_waiting_s = time.monotonic() - t0
            print(f"all {args.cases} assigned and waiting after {all_waiting_s:.0f} s", flush=True)
            await asyncio.sleep(10)  # let the server settle (WAL checkpoints, task queues)
            pids = {"server": temporal.process.pid, "worker": worker.pid}
            cpu0 = {k: proc_sample(p).cpu_s for k, p in pids.items()}
            await asyncio.sleep(args.idle_seconds)
            idle_cpu = {
                k: round((proc_sample(p).cpu_s - cpu0[k]) / args.idle_seconds * 100, 2)
                for k, p in pids.items()
            }
            open_rss = proc_sample(worker.pid)
            db_open = _db_bytes(root / "temporal")
            print(f"worker RSS {open_rss.rss_mb:.0f} MB, idle CPU % {idle_cpu}", flush=True)

            async def forward(i: int) -> None:
                handle = client.get_workflow_handle(f"service-request-{ids[i]}")
                if not await skipper.fast_forward(handle, timedelta(hours=25)):
                    raise RuntimeError(f"{handle.id}: fast-forward did not complete")

            print("fast-forwarding every case by 25 h ...", flush=True)
            t1 = time.monotonic()
            await _gather_bounded(args.cases, args.concurrency, forward)
            forward_s = time.monotonic() - t1
            breached = "WorkflowType='ServiceRequest' AND CsBreached=true"
            await _wait_count(client, breached, args.cases, timeout=3600)
            all_breached_s = time.monotonic() - t1
            on_time = _breaches_on_time(database_url, run)
            peak = proc_sample(worker.pid).peak_rss_mb
        finally:
            stop_process(worker)
            temporal.stop()
    result = {
        "command": f"make bench-scale  (.venv/bin/python -m bench.scale --cases {args.cases})",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "deadlines": "real (policy/sla-policy.toml: 24 h fault, warning at 75%), "
        "fast-forwarded 25 h per case with per-workflow time skipping (no short policy)",
        "cases": args.cases,
        "start_calls_s": round(started_s, 1),
        "start_rate_per_s": round(args.cases / started_s, 1),
        "all_assigned_and_waiting_s": round(all_waiting_s, 1),
        "worker_max_cached_workflows": CACHE,
        "worker_rss_mb_with_all_open": round(open_rss.rss_mb, 1),
        "worker_peak_rss_mb": round(peak, 1),
        "idle_cpu_percent_of_one_core": idle_cpu,
        "server_db_bytes_per_open_case": round((db_open - db_before) / args.cases),
        "server_db_mb_with_all_open": round(db_open / 2**20, 1),
        "fast_forward_calls_s": round(forward_s, 1),
        "all_breached_s": round(all_breached_s, 1),
        "breaches": on_time,
    }
    print(json.dumps(result, indent=2))
    return result


def _breaches_on_time(database_url: str, run: str) -> dict[str, Any]:
    """From the application database: one breach per case, at its deadline."""
    with get_engine(database_url).connect() as conn:
        rows = conn.execute(
            text(
                "SELECT w.request_id, w.due_at, e.at FROM work_order w "
                "JOIN escalation e ON e.request_id = w.request_id AND e.kind = 'breach' "
                "WHERE w.request_id LIKE :prefix"
            ),
            {"prefix": f"S-{run}-%"},
        ).all()
    late = []
    for request_id, due_at, at in rows:
        due, seen = _dt(due_at), _dt(at)
        if not timedelta(0) <= seen - due < timedelta(seconds=5):
            late.append((request_id, str(due), str(seen)))
    per_case: dict[str, int] = {}
    for request_id, *_ in rows:
        per_case[request_id] = per_case.get(request_id, 0) + 1
    return {
        "cases_with_a_breach": len(per_case),
        "cases_with_more_than_one": sum(1 for v in per_case.values() if v > 1),
        "not_at_the_deadline": len(late),
        "examples_not_at_the_deadline": late[:5],
    }


def _dt(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=48)
    parser.add_argument("--idle-seconds", type=float, default=30.0)
    parser.add_argument("--output", type=Path, default=RESULTS)
    run_and_write(scale, parser.parse_args())


if __name__ == "__main__":
    main()
