"""`cablecare directory load PATH`: import areas, staff and subscribers (docs/contract.md).

Creates or upgrades the schema first, then imports the file whole or not at all; a refused
file is reported on stderr, every bad row with its line and field, and exits with code 2.
"""

from __future__ import annotations

from pathlib import Path

import typer

from activities.db import init_db
from activities.directory_load import DirectoryLoadError, load_directory_file
from cablecare.settings import get_settings

app = typer.Typer(no_args_is_help=True)


@app.callback()
def directory() -> None:
    """Directory data: areas, staff, subscribers."""
    # A callback keeps this a command group, so `load` is spelt out even while it is the
    # only command, here and under the main `cablecare` app.


@app.command("load")
def load(
    path: Path = typer.Argument(
        ...,
        help="A JSON file with the keys areas, staff, subscribers, or a folder holding "
        "areas.csv, staff.csv and subscribers.csv.",
    ),
) -> None:
    """Import the directory from PATH into DATABASE_URL; reloading the same file changes nothing."""
    url = get_settings().database_url
    try:
        init_db(url)
        report = load_directory_file(url, path)
    except DirectoryLoadError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=2) from exc
    typer.echo(f"{'table':<12} {'inserted':>8} {'updated':>8} {'unchanged':>9}")
    for table, counts in report.tables().items():
        typer.echo(f"{table:<12} {counts.inserted:>8} {counts.updated:>8} {counts.unchanged:>9}")
