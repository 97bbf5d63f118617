"""The one rule for writing a time (issue 13.6).

- **Machines** (the `status` payloads, every `--json` output, report JSON): UTC with `Z`,
  e.g. `2026-11-25T02:00:00Z`; sub-second digits only when the instant has them, so that a
  value read back is the same instant.
- **People** (CLI tables, the Temporal UI's details, report footers, message texts): the
  operator's zone (the policy's `timezone`, Asia/Shanghai by default) with its offset, to the
  minute, e.g. `2026-11-25 10:00 +08:00`. Never microseconds, never a bare UTC time a
  dispatcher has to convert in their head.

Pure and sandbox-safe (zoneinfo reads its data once, at first use of a zone): workflows use
it for their UI details as the CLI does for its tables.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import PlainSerializer, WithJsonSchema

DEFAULT_ZONE = "Asia/Shanghai"  # the policy's default (R4.4: local time is the operator's)


@lru_cache(maxsize=16)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def machine(moment: datetime) -> str:
    """UTC with `Z`: `2026-11-25T02:00:00Z` (or `...:00.250000Z`)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no UTC offset; machine times are instants")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def machine_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else machine(moment)


def human(moment: datetime | None, zone: str = DEFAULT_ZONE, empty: str = "-") -> str:
    """The operator's local time with its offset, to the minute: `2026-11-25 10:00 +08:00`."""
    if moment is None:
        return empty
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no UTC offset; cannot show it in {zone}")
    local = moment.astimezone(_zone(zone))
    offset = local.strftime("%z")  # +0800
    return f"{local:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:]}"


def _json_utc(value: Any) -> Any:
    return machine(value) if isinstance(value, datetime) else value


# A datetime field that a JSON payload carries as UTC `Z`, whatever offset it was made with.
# Python-side values keep their offset (only the JSON form changes), so code that reads the
# field in memory sees exactly what it stored.
# The published JSON Schema stays a plain `date-time` string (schemas/ is generated from it).
UtcDatetime = Annotated[
    datetime,
    PlainSerializer(_json_utc, when_used="json"),
    WithJsonSchema({"format": "date-time", "type": "string"}),
]
