"""The workload model: a versioned TOML file of what customers and staff do.

The rules (limits, callbacks, escalations) are not here: they come from the SLA policy and the
case logic. This file says how many requests arrive, of which kind, how long people take and
how often customers are reached.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cablecare.domain import Channel, Kind

DEFAULT_WORKLOAD = Path(__file__).with_name("default-workload.toml")
FIELD_KINDS = (Kind.FAULT, Kind.INSTALLATION, Kind.RESTORATION)  # need a technician on site


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LogNormal(_Strict):
    """A positive duration: `median * exp(sigma * N(0, 1))`."""

    median: float = Field(gt=0)
    sigma: float = Field(ge=0, le=3)

    @property
    def mu(self) -> float:
        return math.log(self.median)


class Arrivals(_Strict):
    per_1000_households_per_day: float = Field(gt=0)
    hour_of_day: list[float] = Field(min_length=24, max_length=24)
    day_of_week: list[float] = Field(min_length=7, max_length=7)
    holiday_factor: float = Field(ge=0)
    key_account_weight: float = Field(default=1.0, ge=0)


class Materials(_Strict):
    incomplete_share: float = Field(ge=0, le=1)
    bring_hours: LogNormal


class AreaStaffing(_Strict):
    count: int | None = Field(default=None, ge=0)
    arrival_factor: float = Field(default=1.0, ge=0)


class Technicians(_Strict):
    shift_start_hour: int = Field(ge=0, le=23)
    shift_end_hour: int = Field(ge=1, le=24)
    areas: dict[str, AreaStaffing] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _shift(self) -> Technicians:
        if self.shift_end_hour <= self.shift_start_hour:
            raise ValueError("shift_end_hour must be after shift_start_hour")
        return self


class FieldWork(_Strict):
    travel_minutes: LogNormal
    repair_minutes: LogNormal
    not_home: float = Field(ge=0, le=1)
    missing_parts: float = Field(ge=0, le=1)
    parts_hours: LogNormal


class Desk(_Strict):
    acknowledge_hours: LogNormal
    complaint_answer_hours: LogNormal
    consultation_hours: LogNormal


class Callbacks(_Strict):
    delay_hours: LogNormal
    reach: float = Field(ge=0, le=1)
    satisfied: float = Field(ge=0, le=1)
    problem_found: float = Field(ge=0, le=1)
    retry_hours: float = Field(gt=0)
    attempts: int = Field(ge=1, le=10)


class Workload(_Strict):
    version: str = Field(min_length=1)
    timezone: str = "Asia/Shanghai"
    scale: float = Field(default=1.0, gt=0)
    arrivals: Arrivals
    mix: dict[Kind, float]
    severity: dict[Kind, float] = Field(default_factory=dict)
    channels: dict[Channel, float]
    materials: Materials
    technicians: Technicians
    field: dict[Kind, FieldWork]
    desk: Desk
    callbacks: Callbacks

    @model_validator(mode="after")
    def _complete(self) -> Workload:
        missing = [k.value for k in FIELD_KINDS if self.mix.get(k, 0) > 0 and k not in self.field]
        if missing:
            raise ValueError(f"[field.{missing[0]}] is needed: that kind arrives in [mix]")
        if sum(self.mix.values()) <= 0 or sum(self.channels.values()) <= 0:
            raise ValueError("[mix] and [channels] need at least one positive weight")
        return self

    def with_technicians(self, area_id: str, count: int) -> Workload:
        """What-if: this workload with `count` technicians in one area."""
        areas = dict(self.technicians.areas)
        old = areas.get(area_id, AreaStaffing())
        areas[area_id] = old.model_copy(update={"count": count})
        techs = self.technicians.model_copy(update={"areas": areas})
        return self.model_copy(update={"technicians": techs})


class WorkloadError(ValueError):
    pass


def load_workload(path: Path | None = None) -> Workload:
    path = path or DEFAULT_WORKLOAD
    try:
        raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WorkloadError(f"workload file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise WorkloadError(f"workload file {path} is not valid TOML: {exc}") from exc
    try:
        return Workload.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or '(top level)'}: {e['msg']}" for e in exc.errors()
        )
        raise WorkloadError(f"workload file {path} refused: {problems}") from exc


def to_toml(workload: Workload) -> str:
    """A workload as TOML (written by `simulate fit`); `load_workload` reads it back."""
    data = workload.model_dump(mode="json")
    lines: list[str] = []
    tables: list[tuple[str, dict[str, Any]]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append((key, value))
        else:
            lines.append(f"{key} = {_value(value)}")
    while tables:
        name, table = tables.pop(0)
        scalars = {k: v for k, v in table.items() if not _is_table(v)}
        subs = [(f"{name}.{k}", v) for k, v in table.items() if _is_table(v)]
        lines.append("")
        lines.append(f"[{name}]")
        lines.extend(f"{k} = {_value(v)}" for k, v in scalars.items())
        tables[0:0] = subs
    return "\n".join(lines) + "\n"


def _is_table(value: Any) -> bool:
    # A duration stays inline ({ median, sigma }); other dicts are tables of their own.
    return isinstance(value, dict) and set(value) != {"median", "sigma"}


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, float):
        return repr(round(value, 6))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + " }"
    if value is None:
        raise WorkloadError("TOML has no null")
    return str(value)
