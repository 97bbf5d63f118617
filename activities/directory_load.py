"""Import areas, staff and subscribers from a JSON file or CSV files (docs/contract.md "Directory
data", `cablecare directory load`; R3.1 one responsible technician per area, R8.1 certification).

A file is imported whole or not at all: every row is validated first, every problem is
reported in one error (`<section> row <n> (line <l>), field <name>: <reason>`), and only a
file without problems is written, in one transaction. Rows are upserted by primary key, so
loading the same file again changes nothing. Nothing is ever deleted: the operator's other
systems remain the source of truth for leavers.

Scale (issue 13.9): the file is read one row at a time (CSV; JSON through
activities/json_sections.py). Areas and staff, a few thousand rows, are validated in memory;
subscribers, millions, are validated one by one and staged in a temporary table of the import's
transaction (activities/subscriber_staging.py: COPY on PostgreSQL), where duplicates and
unknown areas are found by SQL and the merge writes only new or changed rows. Memory stays at
one batch; at most MAX_PROBLEMS problems of each kind are listed, the rest counted.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import chain
from pathlib import Path
from typing import Annotated, Any, TypeVar

import structlog
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)
from sqlmodel import Session, SQLModel, col, select

from activities.db import get_engine
from activities.directory_tables import Area, Staff, Subscriber
from activities.intake_directory import invalidate_directory
from activities.json_sections import JsonSectionsError, read_sections
from activities.subscriber_staging import COLUMNS as STAGED_COLUMNS
from activities.subscriber_staging import SubscriberStaging, SubscriberValues
from activities.supervision import publication
from activities.supervision.tables import CompanyUnit, Outlet
from cablecare.domain import Company, Role, Setting
from cablecare.storable import check_text

log = structlog.get_logger(__name__)

_T = TypeVar("_T")
MAX_PROBLEMS = 1000  # listed per kind of problem; the rest are counted

DirectoryId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,64}$")]
# Every text cell must be storable by every database (issue 9.3: no NUL or control characters).
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(check_text)
]
OptionalText = Annotated[str, AfterValidator(check_text)]


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
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, hide_input_in_errors=True)


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
    network_built: bool = True  # (四)4
    branch_id: DirectoryId | None = None  # (四)2
    boundary: str = ""  # (三)5


class StaffIn(_Row):
    staff_id: DirectoryId
    name: Text
    rank: int = Field(ge=0)  # R2.2
    roles: RoleList = Field(min_length=1)
    area_id: DirectoryId | None = None
    certified_roles: RoleList = Field(default_factory=list)  # R8.1
    phone: OptionalText = ""
    photo_ref: OptionalText | None = None  # R3.2
    reports_to: DirectoryId | None = None  # (六)4 the superior who decides their cases
    company_id: DirectoryId | None = None  # (四)2
    outlet_id: DirectoryId | None = None  # (一)6


class CompanyIn(_Row):
    """(四)2 a node of the company tree: the province company, a city company, a county branch."""

    company_id: DirectoryId
    name: Text
    level: Annotated[str, StringConstraints(pattern=r"^(province|city|county)$")]
    parent_id: DirectoryId | None = None
    head_staff_id: DirectoryId | None = None  # (三)5 published; a change is announced
    phone: str = ""


class OutletIn(_Row):
    """(一)5 a business outlet with its address and phone."""

    outlet_id: DirectoryId
    company_id: DirectoryId
    name: Text
    address: Text
    phone: Text
    hours: str = ""


class SubscriberIn(_Row):
    subscriber_id: DirectoryId
    name: Text
    phone: Text
    address: Text
    area_id: DirectoryId
    key_account: bool = False
    hardship: bool = False  # R9.8
    fee_expires_on: date | None = None
    network_built: bool | None = None  # (四)4 None: as the area says


class TableCounts(BaseModel):
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


class LoadReport(BaseModel):
    source: str
    companies: TableCounts = Field(default_factory=TableCounts)
    outlets: TableCounts = Field(default_factory=TableCounts)
    areas: TableCounts = Field(default_factory=TableCounts)
    staff: TableCounts = Field(default_factory=TableCounts)
    subscribers: TableCounts = Field(default_factory=TableCounts)
    # (三)5 areas whose published disclosure changed with this load (a caption went out)
    republished: list[str] = Field(default_factory=list)

    def tables(self) -> dict[str, TableCounts]:
        return {
            "companies": self.companies,
            "outlets": self.outlets,
            "areas": self.areas,
            "staff": self.staff,
            "subscribers": self.subscribers,
        }

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
    "companies": (CompanyIn, CompanyUnit, "company_id"),
    "outlets": (OutletIn, Outlet, "outlet_id"),
    "areas": (AreaIn, Area, "area_id"),
    "staff": (StaffIn, Staff, "staff_id"),
    "subscribers": (SubscriberIn, Subscriber, "subscriber_id"),
}


@dataclass(slots=True)
class _RawRow:
    """One input row before validation, with where it came from (for the error message).

    A plain dataclass: a million of them pass through an import, one at a time."""

    section: str
    number: int  # 1-based row number within its section
    line: int | None  # CSV: the file line the row ends on
    data: dict[str, Any]

    def where(self, field: str) -> str:
        return _where(self.section, self.number, self.line, field)


def _where(section: str, number: int, line: int | None, field: str) -> str:
    at = f" (line {line})" if line is not None else ""
    return f"{section} row {number}{at}, field {field}"


# --- readers: each yields the rows of its file one at a time -----------------------------


def _read_json(path: Path) -> Iterator[_RawRow]:
    """Rows of a JSON file in file order, streamed (activities/json_sections.py).

    Problems of the document's shape (unknown keys, a section that is not a list, an item
    that is not an object) are collected to the end and refused together, as before."""
    problems: list[str] = []
    unknown: set[str] = set()
    try:
        with path.open(encoding="utf-8") as fh:
            for section, n, item in read_sections(fh):
                if section not in SECTIONS:
                    unknown.add(section)
                elif n == -1:
                    continue  # a list begins
                elif n == 0:
                    problems.append(f"{section}: must be a list of objects")
                elif not isinstance(item, dict):
                    problems.append(f"{section} row {n}, field (row): must be an object")
                elif not unknown and not problems:
                    yield _RawRow(section=section, number=n, line=None, data=item)
    except (OSError, UnicodeDecodeError) as exc:
        raise DirectoryLoadError(str(path), [f"cannot read JSON: {exc}"]) from exc
    except JsonSectionsError as exc:
        raise DirectoryLoadError(str(path), [exc.problem]) from exc
    if unknown:
        raise DirectoryLoadError(
            str(path), [f"unknown key(s) {sorted(unknown)}; expected {sorted(SECTIONS)}"]
        )
    if problems:
        raise DirectoryLoadError(str(path), problems)


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


def _read_csv(section: str, path: Path) -> Iterator[_RawRow]:
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
                yield _RawRow(section=section, number=n, line=reader.line_num, data=data)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DirectoryLoadError(str(path), [f"cannot read CSV: {exc}"]) from exc


# --- validation --------------------------------------------------------------------------


def _validate_row(raw: _RawRow) -> tuple[_Row | None, list[str]]:
    """One row against its model: the row, or the problems naming row and field."""
    model, _table, _key = SECTIONS[raw.section]
    try:
        return model.model_validate(raw.data), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = err["loc"]
            field = str(loc[0]) if loc else "(row)"
            item = f" (item {int(loc[1]) + 1})" if len(loc) > 1 and isinstance(loc[1], int) else ""
            problems.append(f"{raw.where(field)}: {err['msg']}{item}")
        return None, problems


def _validate(rows: list[_RawRow]) -> tuple[dict[str, list[tuple[_RawRow, _Row]]], list[str]]:
    """Areas and staff (a few thousand rows at most: validated in memory)."""
    valid: dict[str, list[tuple[_RawRow, _Row]]] = {s: [] for s in SECTIONS}
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    for raw in rows:
        _model, _table, key = SECTIONS[raw.section]
        ident = raw.data.get(key)
        if isinstance(ident, str):
            first = seen.setdefault((raw.section, ident), raw.number)
            if first != raw.number:
                problems.append(f"{raw.where(key)}: duplicate id {ident!r} (first at row {first})")
                continue
        row, row_problems = _validate_row(raw)
        if row is not None:
            valid[raw.section].append((raw, row))
        problems += row_problems
    return valid, problems


def _known_areas(session: Session, raw_rows: list[_RawRow]) -> set[str]:
    # Ids of rows that failed validation still count as present: reporting their dependants
    # as "unknown area" would only bury the real problem.
    file_areas = {
        r.data["area_id"] for r in raw_rows if r.section == "areas" and "area_id" in r.data
    }
    return file_areas | set(session.exec(select(Area.area_id)).all())


def _check_references(
    session: Session,
    valid: Mapping[str, list[tuple[_RawRow, _Row]]],
    known_areas: set[str],
    subscribers: SubscriberStaging,
) -> list[str]:
    """Areas must exist (in the file or the database) and an area's technician must be
    certified for `technician` (R3.1, R8.1). The file's own rows win over the database."""
    problems: list[str] = []
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
        if row.reports_to is not None and row.reports_to not in certified:
            problems.append(f"{raw.where('reports_to')}: unknown staff {row.reports_to!r}")
        elif row.reports_to == row.staff_id:
            problems.append(f"{raw.where('reports_to')}: a person cannot report to themselves")
    unknown, extra = _take(subscribers.unknown_areas(known_areas))
    for number, line, area in unknown:
        problems.append(f"{_where('subscribers', number, line, 'area_id')}: unknown area {area!r}")
    problems += _not_listed(extra, "subscriber row(s) with an unknown area")
    for raw, row in valid["areas"]:
        assert isinstance(row, AreaIn)
        if row.technician_id not in certified:
            problems.append(f"{raw.where('technician_id')}: unknown staff {row.technician_id!r}")
        elif not certified[row.technician_id]:
            problems.append(
                f"{raw.where('technician_id')}: staff {row.technician_id!r} is not certified "
                "for technician (R8.1)"
            )
    return problems + _check_organisation(session, valid)


def _check_organisation(
    session: Session, valid: Mapping[str, list[tuple[_RawRow, _Row]]]
) -> list[str]:
    """(四)2 / (一)5: branches, parents and outlets named by a row must exist."""
    companies = set(session.exec(select(CompanyUnit.company_id)).all())
    companies |= {r.company_id for _w, r in valid["companies"] if isinstance(r, CompanyIn)}
    outlets = set(session.exec(select(Outlet.outlet_id)).all())
    outlets |= {r.outlet_id for _w, r in valid["outlets"] if isinstance(r, OutletIn)}
    checks: list[tuple[_RawRow, str, str | None, set[str], str]] = []
    for raw, row in valid["companies"]:
        assert isinstance(row, CompanyIn)
        checks.append((raw, "parent_id", row.parent_id, companies, "company"))
    for raw, row in valid["outlets"]:
        assert isinstance(row, OutletIn)
        checks.append((raw, "company_id", row.company_id, companies, "company"))
    for raw, row in valid["areas"]:
        assert isinstance(row, AreaIn)
        checks.append((raw, "branch_id", row.branch_id, companies, "company"))
    for raw, row in valid["staff"]:
        assert isinstance(row, StaffIn)
        checks.append((raw, "company_id", row.company_id, companies, "company"))
        checks.append((raw, "outlet_id", row.outlet_id, outlets, "outlet"))
    return [
        f"{raw.where(field)}: unknown {what} {value!r}"
        for raw, field, value, known, what in checks
        if value is not None and value not in known
    ]


def _take(found: Iterable[_T], limit: int = MAX_PROBLEMS) -> tuple[list[_T], int]:
    """The first `limit` items and how many more there were: a file of a million bad rows
    needs examples and a count, not a million lines (nor their memory)."""
    kept: list[_T] = []
    extra = 0
    for item in found:
        if len(kept) < limit:
            kept.append(item)
        else:
            extra += 1
    return kept, extra


def _not_listed(extra: int, what: str) -> list[str]:
    return [f"... and {extra} more {what} not listed"] if extra else []


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


def _stage_subscriber(staging: SubscriberStaging, raw: _RawRow) -> list[str]:
    """Validate one subscriber row and stage it (its id only when invalid)."""
    row, problems = _validate_row(raw)
    values: SubscriberValues | None = None
    if isinstance(row, SubscriberIn):
        # One value per column of the subscriber table (a column the model lacks fails here,
        # loudly, instead of being staged empty).
        values = tuple(getattr(row, column) for column in STAGED_COLUMNS)
    staging.add(raw.number, raw.line, raw.data.get("subscriber_id"), values)
    return problems


def _load(url: str, source: str, raw_rows: Iterator[_RawRow]) -> LoadReport:
    """Areas and staff are held in memory (thousands); subscribers (millions) stream through
    validation into a staging table and are merged by SQL (subscriber_staging.py, 13.9).
    One transaction: all rows or none."""
    engine = get_engine(url)
    with Session(engine) as session:
        staging = SubscriberStaging(session.connection())
        try:
            small: list[_RawRow] = []
            row_problems: list[tuple[int, str]] = []  # subscribers: (row number, problem)
            extra_invalid = 0
            for raw in raw_rows:
                if raw.section != "subscribers":
                    small.append(raw)
                    continue
                for problem in _stage_subscriber(staging, raw):
                    if len(row_problems) < MAX_PROBLEMS:
                        row_problems.append((raw.number, problem))
                    else:
                        extra_invalid += 1
            staging.prepare()

            valid, problems = _validate(small)
            # A repeated id is reported as a duplicate only, as before: its other faults would
            # be noise once the row itself is refused.
            dups, extra_dups = _take(staging.duplicates())
            repeated = {number for number, _line, _ident, _first in dups}
            row_problems = [(n, p) for n, p in row_problems if n not in repeated]
            row_problems += [
                (
                    n,
                    f"{_where('subscribers', n, line, 'subscriber_id')}: duplicate id {ident!r} "
                    f"(first at row {first})",
                )
                for n, line, ident, first in dups
            ]
            problems += [p for _n, p in sorted(row_problems, key=lambda item: item[0])]
            problems += _not_listed(extra_invalid, "invalid subscriber field(s)")
            problems += _not_listed(extra_dups, "duplicate subscriber id(s)")
            problems += _check_references(session, valid, _known_areas(session, small), staging)
            if problems:
                raise DirectoryLoadError(source, problems)  # the session rolls everything back
            report = LoadReport(source=source)
            for section in SECTIONS:
                if section == "subscribers":
                    continue  # staged and merged below, in bulk
                counts = _upsert(session, section, [row for _raw, row in valid[section]])
                setattr(report, section, counts)
            session.flush()  # areas before the subscribers that name them
            inserted, updated, unchanged = staging.merge()
            report.subscribers = TableCounts(
                inserted=inserted, updated=updated, unchanged=unchanged
            )
            staging.close()
            session.flush()
            # (三)5 what the load changed in the disclosure is republished and announced, in
            # the same transaction: a refused or failed load publishes nothing.
            report.republished = publication.republish_changed(session)
            session.commit()  # one transaction per file: all rows or none
        finally:
            staging.close()
    invalidate_directory()  # intake's cached areas and staff (activities/intake_directory.py)
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
    rows = chain.from_iterable(_read_csv(s, files[s]) for s in SECTIONS if s in files)
    return _load(url, ", ".join(str(p) for p in paths), rows)


def load_directory_file(url: str, path: Path) -> LoadReport:
    """Import a JSON file, a folder of CSV files, or one CSV file (by its name)."""
    if path.is_dir() or path.suffix.lower() == ".csv":
        return load_directory_csv(url, path)
    if not path.exists():
        raise DirectoryLoadError(str(path), ["file not found"])
    return load_directory_json(url, path)
