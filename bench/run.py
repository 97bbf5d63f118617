"""`make bench`: complete fault cases against a bare Temporal workflow, variants alternating.

    .venv/bin/python -m bench.run [--variants before=20afba3,after=.] [--rounds 3] [--n 60]

(A revision whose migrations end before the working tree's cannot run against the run's
database: 51bfddf, where issue 15 began, no longer starts; 20afba3 is the oldest that does.)

What production runs, on this machine: one embedded server (cablecare/devserver.py, SQLite +
WAL, free loopback ports, per-workflow time skipping allowed), the product worker started as
`cablecare worker --log-level INFO` (payload codec on: CABLECARE_CODEC_KEYS, `.pyc` compiled
first with `python -m compileall`, as the Docker image does), and an SQLite application
database with the sample directory. Each *variant* is a git revision of this repository
(`.` = the working tree) extracted to a temp dir; its workers run from there, so "before" and
"after" are measured in the same run against the same server.

Per round (the variant order alternates round by round; the machine is noisy):

    baseline  N complete bare cases, 16 in flight (bench/baseline.py; shape derived at run
              time from a complete case of the working tree's product)
    for each variant (its own worker process, started fresh):
      full    N complete fault cases, 16 in flight: start, status query until assigned,
              report_progress(on_site), resolve, record_callback, result closed
      breach  B cases, 16 in flight, each fast-forwarded (time skipping, no short deadlines)
              to 5 s before its real 24 h deadline (the R7.3 warning fires), then left to
              reach it on the wall clock: breach, escalation, accountability case. Delay is
              read from the case's history on its own clock: from `due_at` to the first event
              after the breach timer that follows the write of the supervisor's outbox row
      idle    the same for I cases one at a time (nothing else in flight)
      loaded  the same for I cases one at a time while 16 complete cases run alongside
              (closed loop): "breach delay with 16 in flight"; the `breach` phase above is
              a harsher burst (16 deadlines within a second or two of each other)

Then scale-out (working tree only): 1, 2 and 4 worker processes against the one server,
alternating, N*2 complete cases at 32 in flight each. CPU is read from /proc per process.
Results: bench/results/latest.json; BENCHMARKS.md quotes them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle, WorkflowQueryFailedError
from temporalio.testing import TimeSkipper, TimeSkippingConfig

from activities.db import get_engine
from bench.baseline import (
    BASELINE_TASK_QUEUE,
    BASELINE_WORKFLOW,
    LOCAL_ACTIVITY_MARKER,
    QUERY_READY,
    UPDATE_STEP,
    BareShape,
    shape_from_history,
    workflow_tasks,
)
from bench.common import (
    percentile,
    prepare_app_db,
    proc_sample,
    run_and_write,
    server,
    spawn_worker,
    stop_process,
    wait_worker_polling,
)
from cablecare import REPO_ROOT
from cablecare.client import connect
from cablecare.codec import KEYS_ENV, new_key_entry
from cablecare.domain import CaseState
from starter.service_request import start_service_request
from workflows.service_request.messages import (
    RecordCallbackUpdate,
    ReportProgressUpdate,
    ResolveUpdate,
    ServiceRequestInput,
)
from workflows.service_request.state import ServiceRequestSnapshot
from workflows.service_request.workflow import ServiceRequest

RESULTS = Path(__file__).parent / "results" / "latest.json"
PHASES = ("baseline", "full", "breach", "idle", "loaded")
SUBSCRIBER, COUNTER, TECHNICIAN, CALLBACK_AGENT = "SUB-000002", "CTR-HF-1", "T-HF-01-1", "CB-HF-1"
CASE_TIMEOUT = 180.0  # one case, start to result; nothing in the benchmark waits unbounded
READY_POLL = 0.025
MAX_CACHED_WORKFLOWS = 1000  # the SDK default, as `cablecare worker` runs
BREACH_MARGIN = timedelta(seconds=5)
WORKER_CLI = "import sys; from cablecare.cli import main; sys.argv[0] = 'cablecare'; main()"


async def _until(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not reached within {timeout:.0f} s")
        await asyncio.sleep(READY_POLL)


def _request(key: str) -> ServiceRequestInput:
    return ServiceRequestInput.model_validate(
        {
            "request_id": f"B-{key}",
            "kind": "fault",
            "subscriber_id": SUBSCRIBER,
            "channel": "phone",
            "received_by": [{"staff_id": COUNTER, "rank": 1}],
            "description": "no signal on all channels",
        }
    )


async def _assigned(handle: WorkflowHandle[Any, Any]) -> ServiceRequestSnapshot:
    found: list[ServiceRequestSnapshot] = []

    async def assigned() -> bool:
        try:
            snap = await handle.query(ServiceRequest.status, result_type=ServiceRequestSnapshot)
        except WorkflowQueryFailedError as err:  # "still being registered" during intake
            # With the codec on, the refusal's text travels encrypted ("Encoded failure");
            # a query that keeps failing ends in the TimeoutError of _until.
            if "being registered" not in str(err) and "Encoded failure" not in str(err):
                raise
            return False
        found[:] = [snap]
        return snap.state == CaseState.ASSIGNED

    await _until(assigned, f"{handle.id} assigned")
    return found[0]


class Driver:
    """The client side of every phase: plain client, time-skipping client, app database."""

    def __init__(self, client: Client, skipper: TimeSkipper, database_url: str) -> None:
        self.client = client
        self.skipper = skipper
        self.engine = get_engine(database_url)
        self.shape = BareShape()

    async def full(self, key: str, out: dict[str, list[float]]) -> WorkflowHandle[Any, Any]:
        handle = await start_service_request(self.client, _request(key))
        await _assigned(handle)
        updates: list[tuple[Any, Any]] = [
            (
                ServiceRequest.report_progress,
                ReportProgressUpdate(technician_id=TECHNICIAN, status="on_site"),
            ),
            (ServiceRequest.resolve, ResolveUpdate(by=TECHNICIAN, resolution="re-seated cable")),
            (
                ServiceRequest.record_callback,
                RecordCallbackUpdate(agent_id=CALLBACK_AGENT, reached=True, satisfied=True),
            ),
        ]
        for update, arg in updates:
            started = time.perf_counter()
            await handle.execute_update(update, arg)
            out["update_ms"].append((time.perf_counter() - started) * 1000)
        final = await handle.result()
        if final.state != CaseState.CLOSED:
            raise RuntimeError(f"{handle.id} ended {final.state}")
        return handle

    async def baseline(self, key: str, out: dict[str, list[float]]) -> WorkflowHandle[Any, Any]:
        handle = await self.client.start_workflow(
            BASELINE_WORKFLOW, self.shape, id=f"bare-{key}", task_queue=BASELINE_TASK_QUEUE
        )

        async def ready() -> bool:
            return bool(await handle.query(QUERY_READY))

        await _until(ready, f"{handle.id} ready")
        for n in range(len(self.shape.after_update)):
            started = time.perf_counter()
            await handle.execute_update(UPDATE_STEP, n)
            out["update_ms"].append((time.perf_counter() - started) * 1000)
        await handle.result()
        return handle

    async def breach(self, key: str, out: dict[str, list[float]]) -> WorkflowHandle[Any, Any]:
        """R7.3 warning, then R4.7 breach on the real 24 h limit, by time skipping.

        The case's clock is moved to BREACH_MARGIN before its deadline (the warning fires at
        once); from there it runs at wall-clock speed, and the server fires the deadline's
        timer as it fires any timer, not as part of a skip. The delay is read on the case's
        clock from its history: from `due_at` to the event that follows the write of the
        supervisor's outbox row (the `record_case` ActivityTaskCompleted; in the old design the
        task completion carrying the local-activity markers): an upper bound of a few ms."""
        request = _request(key)
        handle = await start_service_request(self.skipper.client, request)
        snap = await _assigned(handle)
        due = snap.clock.due_at
        assert due is not None
        # Virtual time = wall time until the first skip (the case started without skipping).
        if not await self.skipper.fast_forward(handle, due - datetime.now(UTC) - BREACH_MARGIN):
            raise RuntimeError(f"{handle.id}: fast-forward did not complete")
        await self._row(request.request_id, "staff_warning")  # R7.3, before the deadline
        await self._row(request.request_id, "staff_escalation")  # R4.7 to the supervisors
        # A local activity writes before its task completes: wait for the history to show it.
        for _ in range(400):
            events = [e async for e in handle.fetch_history_events()]
            written = _after_breach_write(events, due)
            if written is not None:
                break
            await asyncio.sleep(0.05)
        else:
            raise RuntimeError(f"{handle.id}: no write after the breach timer in the history")
        out["delay_ms"].append((written - due).total_seconds() * 1000)
        for part, ms in _breach_parts(events, due).items():
            out.setdefault(part, []).append(ms)
        # Cross-check: deadline to the workflow task that decided the breach.
        query = text("SELECT at FROM escalation WHERE request_id = :r AND kind = 'breach'")
        with self.engine.connect() as conn:
            at = conn.execute(query, {"r": request.request_id}).scalar()
        if isinstance(at, str):
            at = datetime.fromisoformat(at)
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        out["skip_ms"].append((at - due).total_seconds() * 1000)
        return handle

    async def _row(self, request_id: str, template: str) -> datetime:
        """When the first outbox row of `template` for the case was written (wall clock)."""
        query = text("SELECT MIN(created_at) FROM outbox_message WHERE key LIKE :k")
        found: list[datetime] = []

        async def written() -> bool:
            with self.engine.connect() as conn:
                at = conn.execute(query, {"k": f"{request_id}/{template}/%"}).scalar()
            if at is None:
                return False
            if isinstance(at, str):
                at = datetime.fromisoformat(at)
            found[:] = [at if at.tzinfo else at.replace(tzinfo=UTC)]
            return True

        await _until(written, f"{request_id} {template} row", timeout=120)
        return found[0]


class Workers:
    """Product worker processes of one variant: `cablecare worker` run from its tree."""

    def __init__(self, tree: Path, env: dict[str, str], log_dir: Path) -> None:
        self.tree, self.env, self.log_dir = tree, env, log_dir
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, count: int) -> None:
        for i in range(count):
            log = self.log_dir / f"{self.tree.name}-{len(self.procs)}-{i}.log"
            self.procs.append(
                subprocess.Popen(
                    [sys.executable, "-c", WORKER_CLI, "worker", "--log-level", "INFO"],
                    cwd=self.tree,
                    env={**os.environ, **self.env, "PYTHONPATH": str(self.tree)},
                    stdin=subprocess.DEVNULL,
                    stdout=log.open("ab"),
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
            self._wait_polling(log)

    def _wait_polling(self, log: Path, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while b"worker polling" not in log.read_bytes():
            if self.procs[-1].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker did not start: see {log}")
            time.sleep(0.1)

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def stop(self) -> None:
        for p in self.procs:
            stop_process(p)
        self.procs = []


def _after_breach_write(events: list[Any], due: datetime) -> datetime | None:
    """Case-clock time of the first event after the breach timer that follows the outbox
    write: a completed regular activity, or a local-activity marker (recorded when the task
    that ran it completed)."""
    fired = False
    for e in events:
        at = e.event_time.ToDatetime(tzinfo=UTC)
        if e.event_type == EventType.EVENT_TYPE_TIMER_FIRED and at >= due:
            fired = True
        elif fired and (
            e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
            or (
                e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
                and e.marker_recorded_event_attributes.marker_name == LOCAL_ACTIVITY_MARKER
            )
        ):
            return at
    return None


# Where a breach delay goes, read from the case's history (event times, server clock):
# deadline -> timer fired -> its workflow task scheduled -> started (waits for the worker) ->
# completed (the decision) -> record_case scheduled -> started (waits for a slot or a poller)
# -> completed (the write).
BREACH_PARTS = ("timer", "wft_queue", "wft_run", "act_sched", "act_queue", "act_run")


def _breach_parts(events: list[Any], due: datetime) -> dict[str, float]:
    marks: dict[str, datetime] = {}
    order = [
        ("fired", EventType.EVENT_TYPE_TIMER_FIRED),
        ("wft_scheduled", EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
        ("wft_started", EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED),
        ("wft_completed", EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
        ("act_scheduled", EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
        ("act_started", EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED),
        ("act_completed", EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED),
    ]
    step = 0
    for e in events:
        at = e.event_time.ToDatetime(tzinfo=UTC)
        if step == 0 and (e.event_type != order[0][1] or at < due):
            continue
        if step < len(order) and e.event_type == order[step][1]:
            marks[order[step][0]] = at
            step += 1
    if step < len(order):
        return {}
    times = [due] + [marks[name] for name, _ in order]
    # timer, (scheduled: same instant), queue, run, activity scheduled, queue, run
    gaps = [(b - a).total_seconds() * 1000 for a, b in zip(times, times[1:], strict=False)]
    return {
        "timer": gaps[0] + gaps[1],
        "wft_queue": gaps[2],
        "wft_run": gaps[3],
        "act_sched": gaps[4],
        "act_queue": gaps[5],
        "act_run": gaps[6],
    }


def _cpu(pids: list[int]) -> float:
    return sum(proc_sample(p).cpu_s for p in pids)


async def phase(
    driver: Driver,
    kind: str,
    n: int,
    concurrency: int,
    workers: list[int],
    server_pid: int,
    label: str,
    background: int = 0,
) -> dict[str, Any]:
    """`n` cases of `kind`, `concurrency` in flight; CPU of the server and of `workers`.
    With `background`, that many complete cases keep running alongside (closed loop) until
    the measured ones are done: the load under which they are measured."""
    run = uuid.uuid4().hex[:8]
    out: dict[str, list[float]] = {"update_ms": [], "delay_ms": [], "skip_ms": []}
    handles: list[WorkflowHandle[Any, Any]] = []
    case = {"full": driver.full, "baseline": driver.baseline, "breach": driver.breach}[kind]
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with gate:
            handles.append(await asyncio.wait_for(case(f"{run}-{i}", out), CASE_TIMEOUT))

    stop = asyncio.Event()

    async def load(j: int) -> None:
        i = 0
        while not stop.is_set():
            scratch: dict[str, list[float]] = {"update_ms": [], "delay_ms": [], "skip_ms": []}
            await asyncio.wait_for(driver.full(f"{run}-bg{j}-{i}", scratch), CASE_TIMEOUT)
            i += 1

    loaders = [asyncio.create_task(load(j)) for j in range(background)]
    if background:
        await asyncio.sleep(3)  # the load is running before the first measured case
    w0, s0 = _cpu(workers), _cpu([server_pid])
    started = time.monotonic()
    await asyncio.gather(*(one(i) for i in range(n)))
    wall = time.monotonic() - started
    stop.set()
    await asyncio.gather(*loaders)
    worker_cpu, server_cpu = _cpu(workers) - w0, _cpu([server_pid]) - s0
    events: list[int] = []
    if kind != "breach":
        for handle in handles[:: max(1, len(handles) // 5)]:  # ~5, spread over the phase
            events.append(len([e async for e in handle.fetch_history_events()]))
    result: dict[str, Any] = {
        "label": label,
        "kind": kind,
        "n": n,
        "in_flight": concurrency,
        "wall_s": round(wall, 2),
        "cases_per_s": round(n / wall, 2),
        "worker_cpu_ms_per_case": round(worker_cpu / n * 1000, 1),
        "server_cpu_ms_per_case": round(server_cpu / n * 1000, 1),
        "events_per_case": [min(events), max(events)] if events else None,
        "background_in_flight": background,
    }
    if out["update_ms"] and kind != "breach":
        result["update_ms_p50"] = round(percentile(out["update_ms"], 50), 1)
        result["update_ms_p95"] = round(percentile(out["update_ms"], 95), 1)
    if out["delay_ms"]:
        result["delay_ms_p50"] = round(percentile(out["delay_ms"], 50), 1)
        result["delay_ms_p95"] = round(percentile(out["delay_ms"], 95), 1)
        result["delay_ms_max"] = round(max(out["delay_ms"]), 1)
        # Deadline to the workflow task that decided the breach (escalation.at - due).
        result["decision_ms_p50"] = round(percentile(out["skip_ms"], 50), 1)
        result["decision_ms_p95"] = round(percentile(out["skip_ms"], 95), 1)
        # Every delay and its parts, to pool rounds (a p95 of a few cases is their maximum).
        result["delays_ms"] = [round(v, 1) for v in out["delay_ms"]]
        result["parts_ms"] = {part: [round(v, 1) for v in out[part]] for part in BREACH_PARTS}
        result["parts_ms_p50_p95"] = {
            part: [round(percentile(out[part], 50), 1), round(percentile(out[part], 95), 1)]
            for part in BREACH_PARTS
            if out.get(part)
        }
    extra = (
        f" delay p50 {result['delay_ms_p50']} p95 {result['delay_ms_p95']} ms"
        f" (p50/p95 {result['parts_ms_p50_p95']})"
        if out["delay_ms"]
        else f" events {result['events_per_case']}"
    )
    print(
        f"{label:14} {kind:8} n={n:3} x{concurrency:2} {result['cases_per_s']:6.2f} cases/s "
        f"worker {result['worker_cpu_ms_per_case']:6.1f} ms/case "
        f"server {result['server_cpu_ms_per_case']:5.1f} ms/case{extra}",
        flush=True,
    )
    return result


def extract(rev: str, root: Path) -> Path:
    """The tree of git revision `rev` (`.` = the working tree), with `.pyc` compiled."""
    if rev == ".":
        tree = REPO_ROOT
    else:
        tree = root / f"tree-{rev}"
        tree.mkdir()
        archive = root / f"{rev}.tar"
        subprocess.run(
            ["git", "-C", str(REPO_ROOT), "archive", "-o", str(archive), rev], check=True
        )
        with tarfile.open(archive) as tar:
            tar.extractall(tree, filter="data")
    # As the Docker image does: every module compiled once, not per process or sandbox.
    dirs = ["cablecare", "workflows", "activities", "worker", "starter"]
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", *(str(tree / d) for d in dirs)], check=True
    )
    return tree


async def derive_shape(driver: Driver) -> dict[str, Any]:
    """One complete case on the product; the baseline copies its messaging shape."""
    out: dict[str, list[float]] = {"update_ms": [], "delay_ms": [], "skip_ms": []}
    handle = await driver.full(f"shape-{uuid.uuid4().hex[:6]}", out)
    events = [e async for e in handle.fetch_history_events()]
    driver.shape = shape_from_history(events)
    return {
        "from": handle.id,
        "history_events": len(events),
        "workflow_tasks": workflow_tasks(events),
        **driver.shape.counts(),
        "shape": driver.shape.model_dump(),
    }


def spread(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    variants = dict(v.split("=", 1) for v in args.variants.split(","))
    phases = [p for p in args.phases.split(",") if p]
    unknown = set(phases) - set(PHASES)
    if unknown:
        raise SystemExit(f"unknown phases: {', '.join(sorted(unknown))}")
    with tempfile.TemporaryDirectory(prefix="cablecare-bench-") as tmp:
        root = Path(tmp)
        database_url = f"sqlite:///{root / 'cablecare.db'}"
        prepare_app_db(database_url)
        codec = {KEYS_ENV: new_key_entry("bench")}
        os.environ.update(codec)  # the driver's client encrypts too (connect() reads it)
        trees = {name: extract(rev, root) for name, rev in variants.items()}
        temporal = server(root / "temporal", time_skipping=True)
        await temporal.start()
        assert temporal.process is not None
        env = {
            **codec,
            "TEMPORAL_ADDRESS": temporal.address,
            "TEMPORAL_NAMESPACE": "default",
            "DATABASE_URL": database_url,
            "PYTHONDONTWRITEBYTECODE": "",
            # The bench clients send no actor tokens (issue 10): explicit, and logged by the
            # worker, as bench/common.py's spawn_worker does.
            "CABLECARE_AUTH": "off",
        }
        baseline_worker = None
        log_dir = args.log_dir or root
        log_dir.mkdir(parents=True, exist_ok=True)
        workers = {name: Workers(tree, env, log_dir) for name, tree in trees.items()}
        try:
            baseline_worker = spawn_worker(
                temporal.address,
                database_url,
                root / "baseline.log",
                BENCH_MAX_CACHED_WORKFLOWS=str(MAX_CACHED_WORKFLOWS),
                **env,
            )
            client = await connect(temporal.address)
            skipper = TimeSkipper(client, config=TimeSkippingConfig(enabled=False))
            driver = Driver(client, skipper, database_url)
            await wait_worker_polling(client, BASELINE_TASK_QUEUE)
            current = next(n for n, r in variants.items() if r == ".")
            workers[current].start(1)
            shape = await derive_shape(driver)
            print(f"baseline shape from {shape['from']}: {driver.shape.counts()}", flush=True)
            sp = temporal.process.pid
            bw = [baseline_worker.pid]
            # Warm-up, not measured: imports, sandboxes, SQLite caches.
            await phase(
                driver,
                "full",
                args.warmup,
                args.concurrency,
                workers[current].pids(),
                sp,
                "warm-up",
            )
            if "baseline" in phases:
                await phase(driver, "baseline", args.warmup, args.concurrency, bw, sp, "warm-up")
            workers[current].stop()
            rounds: list[dict[str, Any]] = []
            names = list(variants)
            for r in range(args.rounds):
                order = names if r % 2 == 0 else names[::-1]
                print(f"--- round {r + 1}/{args.rounds}: {', '.join(order)}", flush=True)
                entry: dict[str, Any] = {}
                if "baseline" in phases:
                    entry["baseline"] = await phase(
                        driver, "baseline", args.n, args.concurrency, bw, sp, "baseline"
                    )
                for name in order:
                    w = workers[name]
                    w.start(1)
                    try:
                        pids = w.pids()
                        # Each fresh process warms up first (imports, sandbox), not measured.
                        await phase(
                            driver, "full", args.warmup, args.concurrency, pids, sp, "warm-up"
                        )
                        # phase -> (kind, cases, in flight, complete cases alongside)
                        specs = {
                            "full": ("full", args.n, args.concurrency, 0),
                            "breach": ("breach", args.breach, args.concurrency, 0),
                            "idle": ("breach", args.idle, 1, 0),
                            "loaded": ("breach", args.idle, 1, args.concurrency),
                        }
                        entry[name] = {}
                        for key, (kind, n, flight, alongside) in specs.items():
                            if key in phases:
                                entry[name][key] = await phase(
                                    driver, kind, n, flight, pids, sp, name, background=alongside
                                )
                    finally:
                        w.stop()
                rounds.append(entry)
            scale: list[dict[str, Any]] = []
            for r in range(args.scale_rounds):
                counts = [1, 2, 4] if r % 2 == 0 else [4, 2, 1]
                for count in counts:
                    w = workers[current]
                    w.start(count)
                    try:
                        await phase(
                            driver, "full", args.warmup * count, 32, w.pids(), sp, "warm-up"
                        )
                        scale.append(
                            await phase(
                                driver, "full", args.n * 2, 32, w.pids(), sp, f"{count} workers"
                            )
                        )
                    finally:
                        w.stop()
        finally:
            for w in workers.values():
                w.stop()
            stop_process(baseline_worker)
            temporal.stop()
    if set(phases) != set(PHASES):
        return summarise_partial(args, variants, shape, rounds, scale)
    return summarise(args, variants, shape, rounds, scale)


def summarise_partial(
    args: argparse.Namespace,
    variants: dict[str, str],
    shape: dict[str, Any],
    rounds: list[dict[str, Any]],
    scale: list[dict[str, Any]],
) -> dict[str, Any]:
    """A run of some phases only: the spread of each figure across rounds, no goals."""
    figures = ("cases_per_s", "worker_cpu_ms_per_case", "delay_ms_p50", "delay_ms_p95")
    per: dict[str, dict[str, Any]] = {}
    for name in variants:
        for kind in rounds[0].get(name, {}):
            for figure in figures:
                values = [r[name][kind][figure] for r in rounds if figure in r[name][kind]]
                if values:
                    per.setdefault(name, {})[f"{kind}_{figure}"] = spread(values)
    for name, found in per.items():
        for key, value in found.items():
            print(f"{name} {key}: {value}")
    return {
        "machine": {"cpus": os.cpu_count(), "load_average_end": os.getloadavg()},
        "args": {k: str(v) for k, v in vars(args).items()},
        "variants": variants,
        "shape": shape,
        "per_variant": per,
        "rounds": rounds,
        "scale_out": scale,
    }


def summarise(
    args: argparse.Namespace,
    variants: dict[str, str],
    shape: dict[str, Any],
    rounds: list[dict[str, Any]],
    scale: list[dict[str, Any]],
) -> dict[str, Any]:
    per: dict[str, dict[str, Any]] = {}
    for name in variants:
        ratio = [r[name]["full"]["cases_per_s"] / r["baseline"]["cases_per_s"] for r in rounds]
        cpu_x = [
            r[name]["full"]["worker_cpu_ms_per_case"] / r["baseline"]["worker_cpu_ms_per_case"]
            for r in rounds
        ]
        per[name] = {
            "rev": variants[name],
            "ratio_to_baseline": spread(ratio),
            "worker_cpu_to_baseline": spread(cpu_x),
            "full_cases_per_s": spread([r[name]["full"]["cases_per_s"] for r in rounds]),
            "full_worker_cpu_ms": spread(
                [r[name]["full"]["worker_cpu_ms_per_case"] for r in rounds]
            ),
            "breach_worker_cpu_ms": spread(
                [r[name]["breach"]["worker_cpu_ms_per_case"] for r in rounds]
            ),
            "breach_delay_p50_ms_16": spread([r[name]["loaded"]["delay_ms_p50"] for r in rounds]),
            "breach_delay_p95_ms_16": spread([r[name]["loaded"]["delay_ms_p95"] for r in rounds]),
            "breach_delay_p50_ms_burst": spread(
                [r[name]["breach"]["delay_ms_p50"] for r in rounds]
            ),
            "breach_delay_p95_ms_burst": spread(
                [r[name]["breach"]["delay_ms_p95"] for r in rounds]
            ),
            "breach_delay_p50_ms_idle": spread([r[name]["idle"]["delay_ms_p50"] for r in rounds]),
            "breach_delay_p95_ms_idle": spread([r[name]["idle"]["delay_ms_p95"] for r in rounds]),
            "events_per_case_max": max(r[name]["full"]["events_per_case"][1] for r in rounds),
        }
    baseline = {
        "cases_per_s": spread([r["baseline"]["cases_per_s"] for r in rounds]),
        "worker_cpu_ms": spread([r["baseline"]["worker_cpu_ms_per_case"] for r in rounds]),
        "events_per_case_max": max(r["baseline"]["events_per_case"][1] for r in rounds),
    }
    by_count: dict[str, list[float]] = {}
    for p in scale:
        by_count.setdefault(p["label"], []).append(p["cases_per_s"])
    current = next(n for n, r in variants.items() if r == ".")
    c = per[current]
    goals = {
        "ratio_at_least_0.7": {
            "value": c["ratio_to_baseline"],
            "met": c["ratio_to_baseline"]["median"] >= 0.7,
        },
        "worker_cpu_at_most_1.5x_baseline": {
            "value": c["worker_cpu_to_baseline"],
            "met": c["worker_cpu_to_baseline"]["median"] <= 1.5,
        },
        "breach_delay_p95_at_most_1s_with_16_in_flight": {
            "value": c["breach_delay_p95_ms_16"],
            "met": c["breach_delay_p95_ms_16"]["max"] <= 1000,
        },
        "events_at_most_80": {
            "value": c["events_per_case_max"],
            "met": c["events_per_case_max"] <= 80,
        },
    }
    result = {
        "command": "make bench  (.venv/bin/python -m bench.run "
        f"--variants {args.variants} --rounds {args.rounds} --n {args.n} "
        f"--breach {args.breach} --idle {args.idle} --scale-rounds {args.scale_rounds})",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "server": "temporal server start-dev (SQLite + WAL, time skipping allowed)",
        "worker": "cablecare worker --log-level INFO, codec on, .pyc compiled",
        "baseline_shape": shape,
        "baseline": baseline,
        "variants": per,
        "scale_out_cases_per_s": {k: spread(v) for k, v in by_count.items()},
        "rounds": rounds,
        "scale_out": scale,
        "goals": goals,
    }
    print()
    for name, v in per.items():
        print(
            f"{name}: ratio {v['ratio_to_baseline']} worker CPU x{v['worker_cpu_to_baseline']} "
            f"breach p95 16 in flight {v['breach_delay_p95_ms_16']} idle "
            f"{v['breach_delay_p95_ms_idle']}"
        )
    for k, v in by_count.items():
        print(f"scale-out {k}: {spread(v)} cases/s")
    for name, goal in goals.items():
        print(f"goal {name}: {'MET' if goal['met'] else 'NOT MET'} ({goal['value']})")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument(
        "--variants",
        default="before=20afba3,after=.",
        help="name=git revision, comma-separated; '.' is the working tree",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--n", type=int, default=60, help="complete cases per phase")
    parser.add_argument("--breach", type=int, default=16, help="breach cases, 16 in flight")
    parser.add_argument(
        "--idle", type=int, default=10, help="breach cases one at a time (idle, and 16 in flight)"
    )
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--warmup", type=int, default=6)
    parser.add_argument("--scale-rounds", type=int, default=1)
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        help="comma-separated subset of " + ",".join(PHASES) + " (a partial run for one "
        "question; `make bench` runs them all)",
    )
    parser.add_argument(
        "--log-dir", type=Path, default=None, help="keep the workers' logs here (default: not kept)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    run_and_write(bench, parser.parse_args())


if __name__ == "__main__":
    main()
