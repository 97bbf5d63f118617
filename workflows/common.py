"""Small pieces every workflow message uses."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

# Caller ids carry no personal data: a restricted alphabet keeps names and phones out (CONTRACT.md).
Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,64}$")]


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamp needs a UTC offset, e.g. 2026-09-30T10:00:00+08:00")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
RequiredText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)
]


class Message(BaseModel):
    """Base of every contract message: unknown fields are refused, so typos are caught."""

    model_config = ConfigDict(extra="forbid")


class Record(BaseModel):
    """Base of snapshots and internal state: tolerant of fields added in later versions."""

    model_config = ConfigDict(extra="ignore")


__all__ = ["Id", "AwareDatetime", "ShortText", "RequiredText", "Message", "Record", "Field"]
