"""Import areas, staff and subscribers from a JSON file or CSV files (CONTRACT.md "Directory
data", `cablecare directory load`; R3.1 one responsible technician per area, R8.1 certification).

A file is imported whole or not at all: every row is validated first, every problem is
reported in one error (`<section> row <n> (line <l>), field <name>: <reason>`), and only a
file without problems is written, in one transaction. Rows are upserted by primary key, so
loading the same file again changes nothing. Nothing is ever deleted: the operator's other
systems remain the source of truth for leavers.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import structlog
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)
from sqlmodel import Session, SQLModel, col, select

from activities.db import get_engine
from activities.directory_roster import invalidate_rosters
from activities.directory_tables import Area, Staff, Subscriber
from cablecare.domain import Company, Role, Setting

log = structlog.get_logger(__name__)

DirectoryId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,64}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def _split_list(value: Any) -> Any:
    """CSV list cells: `technician;counter` or `technician|counter`; empty cell = no roles."""
    if isinstance(value, str):
        return [part.strip() for part in value.replace("|", ";").split(";") if part.strip()]
    return value


def _unique(values: list[Role]) -> list[Role]:
    return list(dict.fromkeys(values))


RoleList = Annotated[list[Role], BeforeValidator(_split_list)]


class _Row(BaseModel):
    # Unknown columns are refused: a misspelt field would otherwise be dropped silently.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AreaIn(_Row):
    area_id: DirectoryId
    name: Text
    setting: Setting
    company: Company
    households: int = Field(ge=0)
    technician_id: DirectoryId  # R3.1: checked against the staff, see _check_references
    service_phone: Text  # R3.2
    supervision_phone: Text  # R3.2
    growth_target: int = Field(default=0, ge=0)  # R3.4


class StaffIn(_Row):
    staff_id: DirectoryId
    name: Text
    rank: int = Field(ge=0)  # R2.2
    roles: RoleList = Field(min_length=1)
    area_id: DirectoryId | None = None
    certified_roles: RoleList = Field(default_factory=list)  # R8.1
    phone: str = ""
    photo_ref: str | None = None  # R3.2


class SubscriberIn(_Row):
    subscriber_id: DirectoryId
    name: Text
    phone: Text
    address: Text
    area_id: DirectoryId
    key_account: bool = False
    hardship: bool = False  # R9.8
    fee_expires_on: date | None = None


class TableCounts(BaseModel):
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


class LoadReport(BaseModel):
    source: str
    areas: TableCounts = Field(default_factory=TableCounts)
    staff: TableCounts = Field(default_factory=TableCounts)
    subscribers: TableCounts = Field(default_factory=TableCounts)

    def tables(self) -> dict[str, TableCounts]:
        return {"areas": self.areas, "staff": self.staff, "subscribers": self.subscribers}

    @property
    def changed(self) -> int:
        return sum(c.inserted + c.updated for c in self.tables().values())


class DirectoryLoadError(ValueError):
    """The file was refused; `problems` lists every bad row, nothing was imported."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__(
            f"{source}: refused, nothing imported ({len(self.problems)} problem(s)):\n"
            + "\n".join(f"  {p}" for p in self.problems)
        )


SECTIONS: dict[str, tuple[type[_Row], type[SQLModel], str]] = {
    "areas": (AreaIn, Area, "area_id"),
    "staff": (StaffIn, Staff, "staff_id"),
    "subscribers": (SubscriberIn, Subscriber, "subscriber_id"),
}


class _RawRow(BaseModel):
    """One input row before validation, with where it came from (for the error message)."""

    section: str
    number: int  # 1-based row number within its section
    line: int | None = None  # CSV: the file line the row ends on
    data: dict[str, Any]

    def where(self, field: str) -> str:
        at = f" (line {self.line})" if self.line is not None else ""
        return f"{self.section} row {self.number}{at}, field {field}"


# --- readers -----------------------------------------------------------------------------


def _read_json(path: Path) -> list[_RawRow]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DirectoryLoadError(str(path), [f"cannot read JSON: {exc}"]) from exc
    if not isinstance(doc, dict):
        raise DirectoryLoadError(str(path), ["the file must hold one JSON object"])
    unknown = sorted(set(doc) - set(SECTIONS))
    if unknown:
        raise DirectoryLoadError(
            str(path), [f"unknown key(s) {unknown}; expected {sorted(SECTIONS)}"]
        )
    rows: list[_RawRow] = []
    problems: list[str] = []
    for section in SECTIONS:
        items = doc.get(section, [])
        if not isinstance(items, list):
            problems.append(f"{section}: must be a list of objects")
            continue
        for n, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                problems.append(f"{section} row {n}, field (row): must be an object")
                continue
            rows.append(_RawRow(section=section, number=n, data=item))
    if problems:
        raise DirectoryLoadError(str(path), problems)
    return rows


def _csv_files(paths: Iterable[Path]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in paths:
        candidates = [path / f"{s}.csv" for s in SECTIONS] if path.is_dir() else [path]
        for candidate in candidates:
            if path.is_dir() and not candidate.exists():
                continue
            if candidate.stem not in SECTIONS or candidate.suffix != ".csv":
                raise DirectoryLoadError(
                    str(candidate), [f"CSV files must be named {[f'{s}.csv' for s in SECTIONS]}"]
                )
            found[candidate.stem] = candidate
    if not found:
        where = ", ".join(str(p) for p in paths)
        raise DirectoryLoadError(where, ["no areas.csv, staff.csv or subscribers.csv found"])
    return found


def _read_csv(section: str, path: Path) -> list[_RawRow]:
    rows: list[_RawRow] = []
    try:
        # utf-8-sig: spreadsheets save Chinese CSV with a byte-order mark.
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            for n, record in enumerate(reader, start=1):
                data: dict[str, Any] = {}
                for key, value in record.items():
                    if key is None:  # more cells than header columns
                        data["(extra cells)"] = value
                    elif value is not None and value.strip() != "":
                        data[key.strip()] = value  # empty cell = field not given
                rows.append(_RawRow(section=section, number=n, line=reader.line_num, data=data))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DirectoryLoadError(str(path), [f"cannot read CSV: {exc}"]) from exc
    return rows


# --- validation --------------------------------------------------------------------------


def _validate(rows: list[_RawRow]) -> tuple[dict[str, list[tuple[_RawRow, _Row]]], list[str]]:
    valid: dict[str, list[tuple[_RawRow, _Row]]] = {s: [] for s in SECTIONS}
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    for raw in rows:
        model, _table, key = SECTIONS[raw.section]
        ident = raw.data.get(key)
        if isinstance(ident, str):
            first = seen.setdefault((raw.section, ident), raw.number)
            if first != raw.number:
                problems.append(f"{raw.where(key)}: duplicate id {ident!r} (first at row {first})")
                continue
        try:
            valid[raw.section].append((raw, model.model_validate(raw.data)))
        except ValidationError as exc:
            for err in exc.errors():
                loc = err["loc"]
                field = str(loc[0]) if loc else "(row)"
                item = (
                    f" (item {int(loc[1]) + 1})" if len(loc) > 1 and isinstance(loc[1], int) else ""
                )
                problems.append(f"{raw.where(field)}: {err['msg']}{item}")
    return valid, problems


def _check_references(
    session: Session, valid: Mapping[str, list[tuple[_RawRow, _Row]]], raw_rows: list[_RawRow]
) -> list[str]:
    """Areas must exist (in the file or the database) and an area's technician must be
    certified for `technician` (R3.1, R8.1). The file's own rows win over the database."""
    problems: list[str] = []
    # Ids of rows that failed validation still count as present: reporting their dependants
    # as "unknown area" would only bury the real problem.
    file_areas = {
        r.data["area_id"] for r in raw_rows if r.section == "areas" and "area_id" in r.data
    }
    db_areas = set(session.exec(select(Area.area_id)).all())
    known_areas = file_areas | db_areas

    certified: dict[str, bool] = {
        s.staff_id: Role.TECHNICIAN.value in s.certified_roles
        for s in session.exec(select(Staff)).all()
    }
    for _raw, row in valid["staff"]:
        assert isinstance(row, StaffIn)
        certified[row.staff_id] = Role.TECHNICIAN in row.certified_roles

    for raw, row in valid["staff"]:
        assert isinstance(row, StaffIn)
        if row.area_id is not None and row.area_id not in known_areas:
            problems.append(f"{raw.where('area_id')}: unknown area {row.area_id!r}")
    for raw, row in valid["subscribers"]:
        assert isinstance(row, SubscriberIn)
        if row.area_id not in known_areas:
            problems.append(f"{raw.where('area_id')}: unknown area {row.area_id!r}")
    for raw, row in valid["areas"]:
        assert isinstance(row, AreaIn)
        if row.technician_id not in certified:
            problems.append(f"{raw.where('technician_id')}: unknown staff {row.technician_id!r}")
        elif not certified[row.technician_id]:
            problems.append(
                f"{raw.where('technician_id')}: staff {row.technician_id!r} is not certified "
                "for technician (R8.1)"
            )
    return problems


# --- writing -----------------------------------------------------------------------------


def _table_values(row: _Row) -> dict[str, Any]:
    values = row.model_dump()
    for field in ("roles", "certified_roles"):
        if field in values:  # JSON columns hold plain strings, without duplicates
            values[field] = [r.value for r in _unique(values[field])]
    return values


def _upsert(session: Session, section: str, rows: list[_Row]) -> TableCounts:
    _model, table, key = SECTIONS[section]
    counts = TableCounts()
    pk = col(getattr(table, key))
    ids = [getattr(r, key) for r in rows]
    existing: dict[str, SQLModel] = {}
    for start in range(0, len(ids), 500):  # stay well under any driver's parameter limit
        chunk = ids[start : start + 500]
        for found in session.exec(select(table).where(pk.in_(chunk))).all():
            existing[getattr(found, key)] = found
    for row in rows:
        values = _table_values(row)
        obj = existing.get(values[key])
        if obj is None:
            session.add(table(**values))
            counts.inserted += 1
            continue
        changed = {f: v for f, v in values.items() if getattr(obj, f) != v}
        if not changed:
            counts.unchanged += 1
            continue
        for field, value in changed.items():
            setattr(obj, field, value)
        session.add(obj)
        counts.updated += 1
    return counts


def _load(url: str, source: str, raw_rows: list[_RawRow]) -> LoadReport:
    valid, problems = _validate(raw_rows)
    engine = get_engine(url)
    with Session(engine) as session:
        problems += _check_references(session, valid, raw_rows)
        if problems:
            raise DirectoryLoadError(source, problems)
        report = LoadReport(source=source)
        for section in SECTIONS:
            counts = _upsert(session, section, [row for _raw, row in valid[section]])
            setattr(report, section, counts)
        session.commit()  # one transaction per file: all rows or none
    invalidate_rosters()  # intake's cached staff/areas (activities/directory_roster.py)
    # Counts only: names, phones and addresses never go to the logs.
    log.info(
        "directory.loaded",
        source=Path(source).name,
        **{f"{t}_{k}": v for t, c in report.tables().items() for k, v in c.model_dump().items()},
    )
    return report


def load_directory_json(url: str, path: Path) -> LoadReport:
    """Import one JSON file with the keys `areas`, `staff`, `subscribers`."""
    return _load(url, str(path), _read_json(path))


def load_directory_csv(url: str, *paths: Path) -> LoadReport:
    """Import CSV files: folders holding `areas.csv`, `staff.csv`, `subscribers.csv`, or those
    files themselves. All the files together form one import (one transaction)."""
    files = _csv_files(paths)
    rows: list[_RawRow] = []
    for section in SECTIONS:
        if section in files:
            rows += _read_csv(section, files[section])
    return _load(url, ", ".join(str(p) for p in paths), rows)


def load_directory_file(url: str, path: Path) -> LoadReport:
    """Import a JSON file, a folder of CSV files, or one CSV file (by its name)."""
    if path.is_dir() or path.suffix.lower() == ".csv":
        return load_directory_csv(url, path)
    if not path.exists():
        raise DirectoryLoadError(str(path), ["file not found"])
    return load_directory_json(url, path)
