"""CLI tables: aligned columns (rich), times already in the operator's zone (13.6).

Cells are plain text, never rich markup: a reason or a note that contains `[red]` is shown as
typed. Piped output is not cut to 80 columns: scripts and `less -S` get whole lines.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text


def print_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, highlight=False)
    for i, header in enumerate(headers):
        last = i == len(headers) - 1
        table.add_column(header, no_wrap=not last, overflow="fold")
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    console = Console(file=sys.stdout, width=None if sys.stdout.isatty() else 400, highlight=False)
    console.print(table)
