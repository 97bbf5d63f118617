"""Subscribers of one directory import, staged in a temporary table and merged by SQL.

A province has millions of subscribers (issue 13.9): holding them as ORM objects took 5.9 GB
for one million. Here each validated row goes, a few thousand at a time, into a temporary
table of the import's own transaction (PostgreSQL: `COPY`; SQLite: `executemany`); the
duplicate and area checks are queries over it, and the merge is one `INSERT ... SELECT ... ON
CONFLICT DO UPDATE ... WHERE <changed>` so an unchanged row is never written. Memory stays at
one batch, whatever the size of the file. Nothing is visible to anyone before the import's
single commit, and a refused file is rolled back with its temporary table.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import Boolean, Connection, Date, text

from activities.directory_tables import Subscriber

STAGE = "import_subscriber"
_TABLE = Subscriber.__table__  # type: ignore[attr-defined]
# The subscriber table's columns, in the order rows are staged: taken from the table itself,
# so a column added to the directory is staged and merged without a change here.
COLUMNS: tuple[str, ...] = tuple(c.name for c in _TABLE.columns)
assert COLUMNS[0] == "subscriber_id", "the primary key leads: the merge compares the rest"
_TYPES = tuple(
    "BOOLEAN" if isinstance(c.type, Boolean) else "DATE" if isinstance(c.type, Date) else "TEXT"
    for c in _TABLE.columns
)
_AREA = COLUMNS.index("area_id")
_DATES = [i for i, t in enumerate(_TYPES) if t == "DATE"]
BATCH = 5_000

_NO_VALUES = (None,) * (len(COLUMNS) - 1)

SubscriberValues = tuple[Any, ...]  # one value per COLUMNS entry


class SubscriberStaging:
    """Stage rows with `add`, then ask `duplicates`, `unknown_areas`, and `merge`.

    Rows that failed validation are staged too, with their id only: a later row with the same
    id is still a duplicate, as it was before streaming (the first row wins the id).
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"
        self.rows = 0
        self.areas: set[str] = set()  # areas named by valid rows
        self._batch: list[tuple[Any, ...]] = []
        temp = "pg_temp." if self.postgres else "temp."
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {temp}{STAGE}")
        columns = ", ".join(f"{c} {t}" for c, t in zip(COLUMNS, _TYPES, strict=True))
        # ON COMMIT DROP: the table never outlives the import on a pooled PostgreSQL
        # connection; on SQLite `close` drops it.
        connection.exec_driver_sql(
            f"CREATE TEMP TABLE {STAGE} (number INTEGER NOT NULL, line INTEGER, "
            f"valid BOOLEAN NOT NULL, {columns})" + (" ON COMMIT DROP" if self.postgres else "")
        )

    def add(
        self, number: int, line: int | None, ident: Any, values: SubscriberValues | None
    ) -> None:
        """One input row: its validated values, or None (then only a string id is kept)."""
        if values is None:
            ident = ident if isinstance(ident, str) else None
            row: tuple[Any, ...] = (number, line, False, ident) + _NO_VALUES
        else:
            self.areas.add(values[_AREA])
            if not self.postgres and any(values[i] is not None for i in _DATES):
                # SQLAlchemy stores a SQLite DATE as 'YYYY-MM-DD' text: stage it the same
                # way, so that the change check compares like with like.
                staged = list(values)
                for i in _DATES:
                    if isinstance(staged[i], date):
                        staged[i] = staged[i].isoformat()
                values = tuple(staged)
            row = (number, line, True, *values)
        self._batch.append(row)
        self.rows += 1
        if len(self._batch) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self._batch:
            return
        names = ("number", "line", "valid", *COLUMNS)
        if self.postgres:
            raw = self.connection.connection.driver_connection
            assert raw is not None
            with raw.cursor() as cur:  # psycopg 3: COPY, one round trip per batch
                with cur.copy(f"COPY {STAGE} ({', '.join(names)}) FROM STDIN") as copy:
                    for row in self._batch:
                        copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in names)
            self.connection.exec_driver_sql(
                f"INSERT INTO {STAGE} ({', '.join(names)}) VALUES ({marks})",
                self._batch,
            )
        self._batch.clear()

    def prepare(self) -> None:
        """All rows are in: index the id for the checks and the merge."""
        self.flush()
        self.connection.exec_driver_sql(f"CREATE INDEX ix_{STAGE}_id ON {STAGE} (subscriber_id)")

    def duplicates(self) -> Iterator[tuple[int, int | None, str, int]]:
        """(number, line, id, first row) of every row whose id an earlier row already had."""
        result = self.connection.exec_driver_sql(
            f"SELECT s.number, s.line, s.subscriber_id, f.first FROM {STAGE} s JOIN "
            f"(SELECT subscriber_id, min(number) AS first FROM {STAGE} "
            f"WHERE subscriber_id IS NOT NULL GROUP BY subscriber_id HAVING count(*) > 1) f "
            f"ON f.subscriber_id = s.subscriber_id WHERE s.number <> f.first ORDER BY s.number"
        )
        for number, line, ident, first in result:
            yield int(number), line, str(ident), int(first)

    def unknown_areas(self, known: set[str]) -> Iterator[tuple[int, int | None, str]]:
        """(number, line, area) of valid rows whose area is neither in the file nor the
        database (R3.1: every subscriber belongs to an area)."""
        unknown = sorted(self.areas - known)
        if not unknown:
            return
        marks = ", ".join("%s" if self.postgres else "?" for _ in unknown)
        result = self.connection.exec_driver_sql(
            f"SELECT number, line, area_id FROM {STAGE} WHERE valid AND area_id IN ({marks}) "
            "ORDER BY number",
            tuple(unknown),
        )
        for number, line, area in result:
            yield int(number), line, str(area)

    def merge(self) -> tuple[int, int, int]:
        """Insert new subscribers, update changed ones, leave the rest untouched.

        Returns (inserted, updated, unchanged), counted before the write.
        """
        changed = self._differs("t", "s")
        matched, updated = self.connection.exec_driver_sql(
            f"SELECT count(t.subscriber_id), "
            f"coalesce(sum(CASE WHEN t.subscriber_id IS NOT NULL AND ({changed}) THEN 1 ELSE 0 "
            f"END), 0) FROM {STAGE} s LEFT JOIN subscriber t "
            f"ON t.subscriber_id = s.subscriber_id WHERE s.valid"
        ).one()
        total = self.rows
        inserted = total - int(matched)
        if inserted or updated:
            cols = ", ".join(COLUMNS)
            assign = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:])
            differs = self._differs("subscriber", "excluded")
            # `WHERE s.valid` also settles SQLite's parsing of INSERT ... SELECT ... ON CONFLICT.
            self.connection.execute(
                text(
                    f"INSERT INTO subscriber ({cols}) SELECT {cols} FROM {STAGE} s "
                    f"WHERE s.valid ORDER BY s.subscriber_id "
                    f"ON CONFLICT (subscriber_id) DO UPDATE SET {assign} WHERE {differs}"
                )
            )
        return inserted, int(updated), int(matched) - int(updated)

    def _differs(self, old: str, new: str) -> str:
        """SQL that is true when any column differs, NULLs compared as values."""
        op = "IS DISTINCT FROM" if self.postgres else "IS NOT"
        return " OR ".join(f"{old}.{c} {op} {new}.{c}" for c in COLUMNS[1:])

    def close(self) -> None:
        """Drop the staging table (SQLite; PostgreSQL drops it at commit or rollback)."""
        if not self.postgres and not self.connection.closed:
            self.connection.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{STAGE}")
