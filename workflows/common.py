"""Small pieces every workflow message uses."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from cablecare.storable import BoundedDatetime, check_text

# Caller ids carry no personal data: a restricted alphabet keeps names and phones out
# (docs/contract.md).
Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,64}$")]


AwareDatetime = BoundedDatetime  # aware and within 2000..2100 (cablecare/storable.py)
# Free text: trimmed, limited, and storable by every database (no NUL or control characters).
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=2000), AfterValidator(check_text)
]
RequiredText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    AfterValidator(check_text),
]
# A short code such as a material code (R2.5): free text too, so the same check applies.
Code = Annotated[str, StringConstraints(max_length=40), AfterValidator(check_text)]


class Message(BaseModel):
    """Base of every contract message: unknown fields are refused, so typos are caught."""

    # Validation errors never quote the input: it may be personal data, and errors reach
    # logs and failure messages (issue 9.6).
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)


class Record(BaseModel):
    """Base of snapshots and internal state: tolerant of fields added in later versions."""

    model_config = ConfigDict(extra="ignore", hide_input_in_errors=True)


__all__ = ["Id", "AwareDatetime", "Code", "ShortText", "RequiredText", "Message", "Record", "Field"]
