"""Every CSV the project writes goes through here (issue 13.8): spreadsheet-safe cells.

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel,
LibreOffice and Google Sheets: a directory name `=HYPERLINK("http://...","点击")` would become
a live link in a supervisor's report, and worse formulas can run commands (CSV injection,
OWASP). Such text cells get a leading `'`, which spreadsheets show as text and do not display.
Numbers are written as numbers (a negative growth stays `-3`); the caller rounds them the way
its table shows them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A text cell a spreadsheet will not evaluate; other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(fieldnames: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """A CSV document (header + rows) with every text cell made safe."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(fieldnames), extrasaction="ignore")
    writer.writerow({name: safe_cell(name) for name in fieldnames})
    for row in rows:
        writer.writerow({k: safe_cell(v) for k, v in row.items()})
    return out.getvalue()
