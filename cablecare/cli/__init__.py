"""The `cablecare` command. Each group lives in its own module of this package."""

from __future__ import annotations

import typer

from cablecare.cli import (
    accountability,
    bootstrap,
    callbacks,
    codec_cmd,
    dev,
    directory,
    disclosure,
    inspection_cmd,
    report,
    schedules,
    search_attributes_cmd,
    simulate,
    sla,
    staff,
    supervision,
    supervision_cmd,
    token_cmd,
    worker_cmd,
)

app = typer.Typer(
    name="cablecare",
    help="Cable-TV service commitments as durable Temporal workflows.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(sla.app, name="sla")
app.add_typer(directory.app, name="directory")
app.command("disclosure")(disclosure.disclosure)
app.command("dev")(dev.dev)
app.command("worker")(worker_cmd.worker)
app.add_typer(callbacks.app, name="callbacks")
app.add_typer(report.app, name="report")
app.add_typer(schedules.app, name="schedules")
app.command("cases")(supervision.cases)
app.command("escalations")(supervision.escalations)
app.command("codec-server")(codec_cmd.codec_server)
app.command("codec-key")(codec_cmd.codec_key)
app.add_typer(search_attributes_cmd.app, name="search-attributes")
app.add_typer(token_cmd.app, name="token")
app.add_typer(accountability.app, name="accountability")
app.command("bootstrap")(bootstrap.bootstrap)
app.add_typer(simulate.app, name="simulate")
app.add_typer(staff.app, name="staff")
app.add_typer(inspection_cmd.app, name="inspection")
app.add_typer(supervision_cmd.app, name="supervision")


@app.callback()
def _options(
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
    app()
