"""Benchmark: the area assessment (R3.3) over one million work orders, SQLite and PostgreSQL.

    .venv/bin/python bench/bench_assessment.py [--rows 1000000] [--areas 120]
        [--pg postgresql://postgres@127.0.0.1:5432/postgres] [--no-pg]

Builds a fresh database for each engine (schema by Alembic, like production), loads a
province-sized directory (areas, technicians), N work orders over 2026 with callbacks for
half of them and subscription changes, then times the monthly report (one month plus the
year-to-date trend) and the yearly summary, exactly as `cablecare report` computes them.
Prints the timings and rows per second. Loading uses the engines' bulk paths (executemany,
COPY); it is not what is measured.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from activities.db import SessionFactory, get_engine, init_db
from activities.reports import monthly_report, yearly_report
from cablecare import REPO_ROOT
from cablecare.policy import load_policy

YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
SECONDS_IN_YEAR = 365 * 86400


def areas(n: int) -> list[tuple[str, str, str, int]]:
    rng = random.Random(1)
    out = []
    for i in range(n):
        company = "CITY" if i % 3 else "COUNTY"
        out.append(
            (
                f"A-{i:04d}",
                company,
                "URBAN" if company == "CITY" else "RURAL",
                rng.randrange(2000, 20000),
            )
        )
    return out


def work_orders(n: int, area_ids: list[str]) -> Iterator[tuple[object, ...]]:
    rng = random.Random(2)
    kinds = ["fault"] * 6 + ["complaint"] * 2 + ["installation", "consultation"]
    for i in range(n):
        received = YEAR_START + timedelta(
            seconds=rng.randrange(SECONDS_IN_YEAR), microseconds=rng.randrange(10**6)
        )
        started = received + timedelta(minutes=rng.choice([0, 0, 5, 120]))
        response = rng.choice([1, 3, 8, 20, 23, 24, 30, None])
        first = started + timedelta(hours=response) if response is not None else None
        yield (
            f"B-{i}",
            f"service-request-B-{i}",
            rng.choice(kinds),
            rng.choice(area_ids),
            received,
            started,
            first,
        )


def callbacks(orders: list[tuple[object, ...]]) -> Iterator[tuple[object, ...]]:
    rng = random.Random(3)
    for seq, wo in enumerate(orders):
        if seq % 2:
            continue
        reached = rng.random() < 0.8
        satisfied = (rng.random() < 0.9) if reached else None
        at = wo[5] + timedelta(days=1)  # type: ignore[operator]
        yield (wo[1], wo[0], wo[3], 1, "CB-1", at, reached, satisfied)


def _sqlite_ts(value: object) -> object:
    # What SQLAlchemy stores on SQLite: fixed-width UTC text with microseconds.
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, datetime) else value


def load(url: str, rows: int, n_areas: int) -> tuple[int, int, float]:
    init_db(url)
    engine = get_engine(url)
    area_rows = areas(n_areas)
    area_ids = [a[0] for a in area_rows]
    orders = list(work_orders(rows, area_ids))
    cbs = list(callbacks(orders))
    rng = random.Random(4)
    changes = [
        (rng.choice(area_ids), f"S-{i}", "gained" if rng.random() < 0.55 else "lost",
         date(2026, 1, 1) + timedelta(days=rng.randrange(365)))
        for i in range(rows // 10)
    ]  # fmt: skip
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        pg = engine.dialect.name == "postgresql"
        ph = "%s" if pg else "?"
        cur.executemany(
            f"INSERT INTO area (area_id, name, setting, company, households, technician_id, "
            f"service_phone, supervision_phone, growth_target) VALUES ({', '.join([ph] * 9)})",
            [(a, a, s, c, h, f"T-{a}-1", "0", "0", h // 30) for a, c, s, h in area_rows],
        )
        cur.executemany(
            f"INSERT INTO staff (staff_id, name, rank, roles, area_id, certified_roles, phone) "
            f"VALUES ({', '.join([ph] * 7)})",
            [(f"T-{a}-{k}", "t", 2, '["technician"]', a, '["technician"]', "")
             for a, *_ in area_rows for k in (1, 2)],
        )  # fmt: skip
        wo_cols = (
            "request_id, workflow_id, kind, area_id, received_at, clock_started_at, "
            "first_response_at, severity, channel, subscriber_id, owner_id, state, priority, "
            "policy_version, breached, reopened_count, last_step"
        )
        tail = ("ordinary", "phone", "S", "O", "closed", "normal", "bench", False, 0, 1)
        cb_cols = (
            "workflow_id, request_id, area_id, seq, agent_id, at, reached, satisfied, "
            "problem_found, note"
        )
        sc_cols = "area_id, subscriber_id, change, changed_on"
        if pg:
            with cur.copy(f"COPY work_order ({wo_cols}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in orders:
                    copy.write_row((*row, *tail))
            with cur.copy(f"COPY callback_record ({cb_cols}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in cbs:
                    copy.write_row((*row, False, ""))
            with cur.copy(f"COPY subscription_change ({sc_cols}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in changes:
                    copy.write_row(row)
        else:
            cur.executemany(
                f"INSERT INTO work_order ({wo_cols}) VALUES ({', '.join(['?'] * 17)})",
                ((*map(_sqlite_ts, row), *tail) for row in orders),
            )
            cur.executemany(
                f"INSERT INTO callback_record ({cb_cols}) VALUES ({', '.join(['?'] * 10)})",
                ((*map(_sqlite_ts, row), False, "") for row in cbs),
            )
            cur.executemany(
                f"INSERT INTO subscription_change ({sc_cols}) VALUES (?, ?, ?, ?)",
                ((a, s, c, d.isoformat()) for a, s, c, d in changes),
            )
        raw.commit()
        if pg:
            cur.execute("ANALYZE")
        else:
            cur.execute("ANALYZE")
            raw.commit()
    finally:
        raw.close()
    return len(cbs), len(changes), time.perf_counter() - started


def timed(label: str, rows: int, fn: object) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        best = min(best, time.perf_counter() - started)
    print(f"  {label:<44} {best:7.3f} s   {rows / best:>12,.0f} work orders/s")
    return best


def bench(engine_name: str, url: str, rows: int, n_areas: int) -> None:
    print(f"{engine_name}: loading {rows:,} work orders over {n_areas} areas ...", flush=True)
    n_cb, n_sc, load_s = load(url, rows, n_areas)
    print(
        f"  loaded {rows:,} work orders, {n_cb:,} callbacks, {n_sc:,} subscription changes "
        f"in {load_s:.1f} s"
    )
    policy = load_policy(REPO_ROOT / "policy" / "sla-policy.toml")
    sessions = SessionFactory(url)

    def month() -> None:
        with sessions() as session:
            report = monthly_report(session, policy, "2026-11")
            assert len(report.areas) == n_areas

    def month_jan() -> None:
        with sessions() as session:
            monthly_report(session, policy, "2026-01")

    def year() -> None:
        with sessions() as session:
            report = yearly_report(session, policy, 2026)
            assert report.total.work_orders > rows * 0.99  # the last UTC hours are 2027 locally

    timed("monthly report 2026-01 (one month)", rows, month_jan)
    timed("monthly report 2026-11 (+ Jan-Nov trend)", rows, month)
    timed("yearly summary 2026 (12 months)", rows, year)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--areas", type=int, default=120)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}", args.rows, args.areas)
    if args.no_pg:
        return
    name = f"cablecare_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        "postgresql+psycopg://" + args.pg.removeprefix("postgresql://"),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = args.pg.rsplit("/", 1)[0] + "/" + name
        bench("PostgreSQL", url, args.rows, args.areas)
        get_engine(url).dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
