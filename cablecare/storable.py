"""What a database can store and a deadline can be computed from: the checks at the edge.

One place for two input rules that every message and every directory file shares:
- **Text** (issue 9.3): PostgreSQL refuses the NUL character in text columns, and a lone
  UTF-16 surrogate cannot be encoded at all. Such a value accepted by a workflow makes every
  later write of the case fail forever, so it is refused where it enters, with the field named
  (pydantic puts the field's name in front of the message). Other control characters are
  refused too: they are never meant in a note and they garble the CLI, the UI and the CSV
  report. Newline and tab are ordinary text.
- **Timestamps** (issue 9.4): aware (with a UTC offset) and between 2000-01-01 and 2100-01-01.
  Year 1 or 9999 is a typing error, not a date, and the calendar arithmetic behind every
  deadline overflows near the ends of `datetime`'s range.

Pure Python and pydantic, no I/O: workflow code imports it inside the sandbox.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator

ALLOWED_CONTROLS = frozenset("\n\t")
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def unstorable_character(value: str) -> str | None:
    """The first character a database cannot keep (or that is a control character), as
    `U+XXXX`; None when the text is fine."""
    for ch in value:
        if ch in ALLOWED_CONTROLS:
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs"):  # control characters; lone surrogates
            return f"U+{ord(ch):04X}"
    return None


def check_text(value: str) -> str:
    """Pydantic validator: refuses control characters (except newline and tab) and lone
    surrogates. The field's name comes from pydantic's error location."""
    bad = unstorable_character(value)
    if bad is not None:
        raise ValueError(
            f"contains the control character {bad}, which cannot be stored; "
            "remove it (newlines and tabs are fine)"
        )
    return value


def check_timestamp(value: datetime) -> datetime:
    """Pydantic validator: a timezone-aware timestamp within [EARLIEST, LATEST)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamp needs a UTC offset, e.g. 2026-09-30T10:00:00+08:00")
    if not EARLIEST <= value < LATEST:
        raise ValueError(
            f"timestamp {value.isoformat()} is outside the accepted range "
            f"{EARLIEST.date()} to {LATEST.date()}"
        )
    return value


StorableText = Annotated[str, AfterValidator(check_text)]
"""Any free text of a message or a directory row; combine with StringConstraints for length."""


def check_date(value: date) -> date:
    """Pydantic validator: a date within the same range as timestamps."""
    if not EARLIEST.date() <= value < LATEST.date():
        raise ValueError(
            f"date {value.isoformat()} is outside the accepted range "
            f"{EARLIEST.date()} to {LATEST.date()}"
        )
    return value


BoundedDate = Annotated[date, AfterValidator(check_date)]
"""Every date of every message (the scheduled duties' run dates)."""

BoundedDatetime = Annotated[datetime, AfterValidator(check_timestamp)]
"""Every timestamp of every message: aware and within the accepted range."""
