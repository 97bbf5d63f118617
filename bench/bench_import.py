"""Benchmark: `cablecare directory load` of a province-sized directory (issue 13.9).

    .venv/bin/python -m bench.bench_import [--subscribers 1000000]
        [--pg postgresql://postgres@127.0.0.1:5432/postgres] [--no-pg] [--formats json,csv]

Writes the sample directory's areas and staff with N generated subscribers spread over its
areas, as one JSON file and as a folder of CSV files, then for each database (a fresh SQLite
file; a fresh PostgreSQL database) and each format runs the import twice, each time in a
fresh child process exactly as the command does it (`init_db` + `load_directory_file`):
first into an empty database, then the same file again (nothing may change). Reports the
wall time and the child's peak RSS (`wait4` rusage) of every run; the goal is under 2 minutes
and under 300 MB for 1,000,000 subscribers. Results: bench/results/import-latest.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from cablecare import REPO_ROOT

SAMPLE = REPO_ROOT / "data" / "sample-directory.json"
RESULTS = REPO_ROOT / "bench" / "results" / "import-latest.json"
GOAL_SECONDS, GOAL_RSS_MB = 120, 300


def subscriber(i: int, area_ids: list[str]) -> dict[str, Any]:
    """A plausible subscriber row; deterministic, so a second file is identical."""
    return {
        "subscriber_id": f"SUB-{i:08d}",
        "name": f"用户{i:08d}",
        "phone": f"139{i:08d}",
        "address": f"安徽省合肥市某区某路{i % 997}号{i % 31}栋{i % 6 + 1}单元",
        "area_id": area_ids[i % len(area_ids)],
        "key_account": i % 500 == 0,
        "hardship": i % 40 == 0,
        "fee_expires_on": (date(2027, 1, 1) + timedelta(days=i % 365)).isoformat(),
    }


def write_files(folder: Path, n: int) -> tuple[Path, Path]:
    doc = json.loads(SAMPLE.read_text(encoding="utf-8"))
    area_ids = [a["area_id"] for a in doc["areas"]]
    json_path = folder / "directory.json"
    with json_path.open("w", encoding="utf-8") as fh:
        fh.write('{"areas": ' + json.dumps(doc["areas"], ensure_ascii=False))
        fh.write(', "staff": ' + json.dumps(doc["staff"], ensure_ascii=False))
        fh.write(', "subscribers": [\n')
        for i in range(n):
            sep = ",\n" if i else ""
            fh.write(sep + json.dumps(subscriber(i, area_ids), ensure_ascii=False))
        fh.write("\n]}\n")
    csv_dir = folder / "csv"
    csv_dir.mkdir()
    for section in ("areas", "staff"):
        rows = doc[section]
        fields = list(dict.fromkeys(k for row in rows for k in row))
        with (csv_dir / f"{section}.csv").open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields)
            writer.writeheader()
            for row in rows:
                writer.writerow(
                    {
                        k: ";".join(v) if isinstance(v, list) else ("" if v is None else v)
                        for k, v in row.items()
                    }
                )
    with (csv_dir / "subscribers.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(subscriber(0, area_ids)))
        writer.writeheader()
        for i in range(n):
            writer.writerow(subscriber(i, area_ids))
    return json_path, csv_dir


def fresh_pg(admin_url: str) -> str:
    name = f"cablecare_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(
        "postgresql+psycopg://" + admin_url.removeprefix("postgresql://"),
        isolation_level="AUTOCOMMIT",
    )
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name


def drop_pg(admin_url: str, url: str) -> None:
    engine = create_engine(
        "postgresql+psycopg://" + admin_url.removeprefix("postgresql://"),
        isolation_level="AUTOCOMMIT",
    )
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}"'))
    engine.dispose()


def run_child(url: str, path: Path) -> dict[str, Any]:
    """One import in a fresh process; its wall time and peak RSS (kB -> MB)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.bench_import", "--child", url, str(path)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"import of {path} into {url} failed")
    proc.returncode = 0
    line = next(x for x in out.decode().splitlines() if x.startswith("RESULT "))
    counts = json.loads(line.removeprefix("RESULT "))
    return {
        "seconds": round(seconds, 1),
        # CPU of the importer itself: on a shared machine the wall time includes waiting for
        # a core; the database server's own CPU (PostgreSQL) is not in it.
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        **counts,
    }


def child(url: str, path: str) -> None:
    from activities.db import init_db
    from activities.directory_load import load_directory_file

    init_db(url)
    report = load_directory_file(url, Path(path))
    result: dict[str, Any] = {"subscribers": report.subscribers.model_dump()}
    if url.startswith("postgresql"):
        result["db_cpu_seconds"] = _backend_cpu(url)
    sys.stdout.write("\nRESULT " + json.dumps(result) + "\n")


def _backend_cpu(url: str) -> float | None:
    """CPU of the PostgreSQL backend that ran the import (the pool hands the same connection
    back), when the server runs on this machine: COPY and the merge run there, not here."""
    from activities.db import get_engine

    with get_engine(url).connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--formats", default="json,csv")
    parser.add_argument("--child", nargs=2, metavar=("URL", "PATH"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        json_path, csv_dir = write_files(folder, args.subscribers)
        print(
            f"wrote {args.subscribers:,} subscribers in {time.perf_counter() - t0:.0f} s",
            flush=True,
        )
        paths = {"json": json_path, "csv": csv_dir}
        engines = ["sqlite"] + ([] if args.no_pg else ["postgresql"])
        for engine in engines:
            for fmt in args.formats.split(","):
                url = (
                    f"sqlite:///{folder / f'{fmt}.db'}" if engine == "sqlite" else fresh_pg(args.pg)
                )
                try:
                    for run in ("first import", "same file again"):
                        r = run_child(url, paths[fmt])
                        r.update(engine=engine, format=fmt, run=run)
                        results.append(r)
                        print(
                            f"{engine:<10} {fmt:<4} {run:<16} {r['seconds']:>6.1f} s "
                            f"(cpu {r['cpu_seconds']:>5.1f} s) {r['peak_rss_mb']:>5} MB  "
                            f"{r['subscribers']}",
                            flush=True,
                        )
                finally:
                    if engine == "postgresql":
                        drop_pg(args.pg, url)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "subscribers": args.subscribers,
                "goal": {"seconds": GOAL_SECONDS, "peak_rss_mb": GOAL_RSS_MB},
                "runs": results,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
