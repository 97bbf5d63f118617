"""The `cablecare` command. Each group lives in its own module of this package.

Start-up (issue 13.11): the modules behind the commands import Temporal, SQLAlchemy and the
activities, seconds of imports on a busy machine. So this module imports none of them: the
table below names each command, its module and its one-line help, `cablecare --help` prints
the table, and only the module of the command actually run is imported.
"""

from __future__ import annotations

import importlib
from typing import Any, NamedTuple

import typer
from typer.core import TyperGroup


class _Entry(NamedTuple):
    module: str
    attribute: str
    group: bool  # a Typer app with sub-commands, or a single command function
    help: str


COMMANDS: dict[str, _Entry] = {
    "sla": _Entry("cablecare.cli.sla", "app", True, "Time limits: the policy and the calendar."),
    "directory": _Entry(
        "cablecare.cli.directory", "app", True, "Directory data: areas, staff, subscribers."
    ),
    "disclosure": _Entry(
        "cablecare.cli.disclosure", "disclosure", False, "Publish the public commitments."
    ),
    "dev": _Entry(
        "cablecare.cli.dev", "dev", False, "Embedded server, Web UI, worker, sample data."
    ),
    "worker": _Entry("cablecare.cli.worker_cmd", "worker", False, "Run one worker."),
    "callbacks": _Entry(
        "cablecare.cli.callbacks", "app", True, "Key-account callback plan: tasks and results."
    ),
    "report": _Entry("cablecare.cli.report", "app", True, "Area assessment reports."),
    "schedules": _Entry(
        "cablecare.cli.schedules", "app", True, "Temporal Schedules of the scheduled duties."
    ),
    "cases": _Entry("cablecare.cli.supervision", "cases", False, "Open cases (R7.1)."),
    "escalations": _Entry(
        "cablecare.cli.supervision", "escalations", False, "Escalations, newest first (R7.1)."
    ),
    "codec-server": _Entry(
        "cablecare.cli.codec_cmd", "codec_server", False, "Codec server for the Web UI."
    ),
    "codec-key": _Entry("cablecare.cli.codec_cmd", "codec_key", False, "Print a new payload key."),
    "search-attributes": _Entry(
        "cablecare.cli.search_attributes_cmd", "app", True, "The custom search attributes."
    ),
    "token": _Entry("cablecare.cli.token_cmd", "app", True, "Actor tokens (dev issuer)."),
    "accountability": _Entry(
        "cablecare.cli.accountability", "app", True, "Open or withdraw accountability cases."
    ),
    "bootstrap": _Entry(
        "cablecare.cli.bootstrap", "bootstrap", False, "One-shot set-up of a deployment."
    ),
    "simulate": _Entry(
        "cablecare.cli.simulate", "app", True, "Simulate a month; compare policies."
    ),
    "staff": _Entry("cablecare.cli.staff", "app", True, "The certification register."),
    "inspection": _Entry("cablecare.cli.inspection_cmd", "app", True, "Drive an inspection."),
    "supervision": _Entry(
        "cablecare.cli.supervision_cmd", "app", True, "Supervision report, log, disclosure."
    ),
}


def _load(name: str) -> Any:
    import typer.main

    entry = COMMANDS[name]
    target = getattr(importlib.import_module(entry.module), entry.attribute)
    command: Any
    if entry.group:
        command = typer.main.get_group(target)
    else:
        single = typer.Typer()
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


class _LazyGroup(TyperGroup):
    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        return _load(cmd_name) if cmd_name in COMMANDS else None

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        # From the table: listing the commands must not import them.
        with formatter.section("Commands"):
            formatter.write_dl([(name, entry.help) for name, entry in COMMANDS.items()])


app = typer.Typer(
    name="cablecare",
    help="Cable-TV service commitments as durable Temporal workflows.",
    no_args_is_help=True,
    add_completion=False,
    cls=_LazyGroup,
    rich_markup_mode=None,  # plain help: the rich renderer would load every command
    pretty_exceptions_show_locals=False,  # issue 9.6: no local variables in tracebacks
)


@app.callback()
def _root(
    token: str | None = typer.Option(
        None,
        "--token",
        envvar="CABLECARE_TOKEN",
        help="Your actor token: sent with every message a command sends (CABLECARE_TOKEN).",
        show_default=False,
    ),
) -> None:
    """Cable-TV service commitments as durable Temporal workflows."""
    import os

    if token:
        os.environ["CABLECARE_TOKEN"] = token  # read by cablecare.client.connect()


def main() -> None:
    from cablecare.cli import exit as clean_exit

    clean_exit.install()  # issue 9.8: the SDK runtime goes before the interpreter does
    app()
