"""Issue 13.9: the directory import streams (bounded memory), refuses a bad file whole with
the row and field named, and a re-import of an unchanged file writes nothing.

Every database test runs on SQLite and on PostgreSQL (`database_url`)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session

from activities.db import get_engine, init_db
from activities.directory_load import DirectoryLoadError, load_directory_file
from activities.json_sections import JsonSectionsError, read_sections
from cablecare import REPO_ROOT

SAMPLE = REPO_ROOT / "data" / "sample-directory.json"
AREAS = ["A-HF-01", "A-HF-02", "A-FD-02", "A-FD-03"]


def subscriber(i: int) -> dict[str, Any]:
    return {
        "subscriber_id": f"SUB-S{i:07d}",
        "name": f"用户{i}",
        "phone": f"139{i:08d}",
        "address": f"某路{i % 997}号",
        "area_id": AREAS[i % len(AREAS)],
        "hardship": i % 40 == 0,
        "fee_expires_on": "2027-01-15" if i % 3 else None,
    }


def write_directory(path: Path, n: int, *, subscribers_first: bool = False) -> Path:
    """The sample's areas and staff with `n` generated subscribers, written row by row."""
    doc = json.loads(SAMPLE.read_text(encoding="utf-8"))
    with path.open("w", encoding="utf-8") as fh:
        head = [(k, doc[k]) for k in ("companies", "outlets", "areas", "staff")]
        fh.write("{")
        if not subscribers_first:
            fh.write(",".join(f'"{k}": {json.dumps(v, ensure_ascii=False)}' for k, v in head))
            fh.write(",")
        fh.write('"subscribers": [\n')
        fh.write(",\n".join(json.dumps(subscriber(i), ensure_ascii=False) for i in range(n)))
        fh.write("\n]")
        if subscribers_first:
            fh.write(",")
            fh.write(",".join(f'"{k}": {json.dumps(v, ensure_ascii=False)}' for k, v in head))
        fh.write("}")
    return path


def count(url: str, table: str) -> int:
    with Session(get_engine(url)) as session:
        return int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


# --- memory: a subprocess, so its peak RSS is its own -------------------------------------

CHILD = """
import json, resource, sys
from pathlib import Path
from activities.db import init_db
from activities.directory_load import load_directory_file
url, path = sys.argv[1], Path(sys.argv[2])
init_db(url)
load_directory_file(url, Path(sys.argv[3]))  # warm up: every module and the engine in use
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
first = load_directory_file(url, path).subscribers.model_dump()
again = load_directory_file(url, path).subscribers.model_dump()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("RESULT " + json.dumps({"growth_kb": peak - before, "first": first, "again": again}))
"""


def test_13_9_import_of_100000_subscribers_has_bounded_memory_and_reimport_changes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    """The old import held every row as an ORM object (5.9 GB for a million, ~600 MB for
    100,000); streaming keeps the growth to a few batches whatever the file's size."""
    n = 100_000
    path = write_directory(tmp_path / "big.json", n)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, database_url, str(path), str(SAMPLE)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    assert result["first"] == {"inserted": n, "updated": 0, "unchanged": 0}
    assert result["again"] == {"inserted": 0, "updated": 0, "unchanged": n}
    # 100,000 rows as dicts alone would be >100 MB; the bound leaves room for allocator noise.
    assert result["growth_kb"] < 60 * 1024, f"peak RSS grew {result['growth_kb'] / 1024:.0f} MB"
    assert count(database_url, "subscriber") == n + 300  # the sample's 300 stay


# --- idempotence and refusals, in process --------------------------------------------------


@pytest.fixture
def db(database_url: str) -> str:
    init_db(database_url)
    return database_url


def _row_versions(url: str) -> list[Any]:
    """PostgreSQL: the row versions (xmin) of a few subscribers; equal = never rewritten."""
    with Session(get_engine(url)) as session:
        return list(
            session.execute(
                text(
                    "SELECT subscriber_id, xmin::text FROM subscriber "
                    "WHERE subscriber_id IN ('SUB-S0000000', 'SUB-S0001234', 'SUB-S0004999') "
                    "ORDER BY subscriber_id"
                )
            ).all()
        )


def test_13_9_reimport_writes_nothing_and_a_change_updates_only_that_row(
    db: str, tmp_path: Path
) -> None:
    path = write_directory(tmp_path / "d.json", 5_000, subscribers_first=True)
    assert load_directory_file(db, path).subscribers.inserted == 5_000
    postgres = db.startswith("postgresql")
    versions = _row_versions(db) if postgres else None
    again = load_directory_file(db, path)
    assert again.changed == 0 and again.subscribers.unchanged == 5_000
    if postgres:
        assert _row_versions(db) == versions, "an unchanged row was rewritten"

    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["subscribers"][1234]["phone"] = "13800000000"
    doc["subscribers"][4999]["fee_expires_on"] = None
    doc["subscribers"][0]["fee_expires_on"] = "2027-01-16"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    report = load_directory_file(db, path)
    assert (report.subscribers.updated, report.subscribers.unchanged) == (3, 4_997)
    with Session(get_engine(db)) as session:
        phone = session.execute(
            text("SELECT phone FROM subscriber WHERE subscriber_id = 'SUB-S0001234'")
        ).scalar_one()
    assert phone == "13800000000"


def test_13_9_streamed_refusal_names_row_and_field_and_imports_nothing(
    db: str, tmp_path: Path
) -> None:
    """Late rows of a large file: a bad field, a repeated id, an unknown area — all named,
    with the same words as before streaming, and nothing of the file imported."""
    path = write_directory(tmp_path / "d.json", 20_000)
    doc = json.loads(path.read_text(encoding="utf-8"))
    del doc["subscribers"][14_999]["phone"]  # row 15000
    doc["subscribers"][17_999]["subscriber_id"] = "SUB-S0000007"  # row 18000 repeats row 8
    doc["subscribers"][18_999]["area_id"] = "A-XX-99"  # row 19000
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(DirectoryLoadError) as err:
        load_directory_file(db, path)
    assert err.value.problems == [
        "subscribers row 15000, field phone: Field required",
        "subscribers row 18000, field subscriber_id: duplicate id 'SUB-S0000007' (first at row 8)",
        "subscribers row 19000, field area_id: unknown area 'A-XX-99'",
    ]
    assert count(db, "subscriber") == 0 and count(db, "area") == 0


def test_13_9_csv_refusal_names_the_line(db: str, tmp_path: Path) -> None:
    folder = tmp_path / "csv"
    folder.mkdir()
    doc = json.loads(SAMPLE.read_text(encoding="utf-8"))
    for section in ("companies", "outlets", "areas", "staff"):
        rows = doc[section]
        fields = list(dict.fromkeys(k for row in rows for k in row))
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ";".join(v) if isinstance(v, list) else v for k, v in row.items()})
        (folder / f"{section}.csv").write_text(out.getvalue(), encoding="utf-8")
    with (folder / "subscribers.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(subscriber(0)))
        writer.writeheader()
        for i in range(10_000):
            row = subscriber(i)
            if i == 8_999:
                row["hardship"] = "perhaps"
            writer.writerow(row)
    with pytest.raises(DirectoryLoadError) as err:
        load_directory_file(db, folder)
    assert len(err.value.problems) == 1
    assert err.value.problems[0].startswith("subscribers row 9000 (line 9001), field hardship:")
    assert count(db, "subscriber") == 0


# --- the streaming JSON reader ------------------------------------------------------------


def test_13_9_json_reader_yields_items_and_reports_syntax_errors_with_their_line() -> None:
    items = list(read_sections(io.StringIO('{"a": [1, {"x": "]"}], "b": {"k": 2}, "c": []}')))
    assert items == [
        ("a", -1, None), ("a", 1, 1), ("a", 2, {"x": "]"}), ("b", 0, {"k": 2}), ("c", -1, None)
    ]  # fmt: skip
    broken = '{"subscribers": [\n{"subscriber_id": "S1"},\n{"subscriber_id": "S2" "x"}\n]}'
    with pytest.raises(JsonSectionsError, match=r"cannot read JSON: .*line 3 column"):
        list(read_sections(io.StringIO(broken)))
    with pytest.raises(JsonSectionsError, match="one JSON object"):
        list(read_sections(io.StringIO("[1, 2]")))
    with pytest.raises(JsonSectionsError, match="Extra data"):
        list(read_sections(io.StringIO('{"a": []} {}')))


def test_13_9_json_shape_problems_are_refused_together(db: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps({"subscribers": [1, {"subscriber_id": "S"}], "areas": {}, "people": []}),
        encoding="utf-8",
    )
    with pytest.raises(DirectoryLoadError) as err:
        load_directory_file(db, path)
    assert err.value.problems == [
        "unknown key(s) ['people']; "
        "expected ['areas', 'companies', 'outlets', 'staff', 'subscribers']"
    ]
