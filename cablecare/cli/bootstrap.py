"""`cablecare bootstrap`: what a fresh cluster needs before the first worker polls (issue 13).

docker-compose.yml runs it once, as the `bootstrap` service, after Temporal is healthy and its
namespace exists, and before the workers and the codec server start. Every step is idempotent,
so it runs again on every `docker-compose up`:

1. `secrets`: refuse the example values of deploy/example.env (`change-me`) and a missing or
   malformed payload key file: a stack with known secrets must not start.
2. `migrations`: the application database to Alembic head (DATABASE_URL).
3. `search-attributes`: the Cs* attributes of docs/contract.md in the namespace.
4. `schedules`: the Temporal Schedules of the scheduled duties (fee reminders, key-account
   callbacks, assessments).
5. `directory`: areas, staff and subscribers from a mounted file, when there is one (its absence
   is not an error: the operator may load it later with `cablecare directory load`).

`--check-secrets-only` runs step 1 alone: the `preflight` service, which PostgreSQL waits for.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from pathlib import Path

import typer

from cablecare.logging import configure_logging

STEPS = ("secrets", "migrations", "search-attributes", "schedules", "directory")
# Values that deploy/example.env ships or that people type when told to "set a password".
EXAMPLE_VALUES = {"change-me", "changeme", "change_me", "password", "secret", "example"}
SECRET_VARIABLES = ("POSTGRES_PASSWORD", "CABLECARE_CODEC_TOKEN")
MIN_TOKEN_LENGTH = 16


def secret_problems(environ: Mapping[str, str]) -> list[str]:
    """What is wrong with the secrets of this environment; never echoes a value."""
    from cablecare.codec import KEYS_ENV, KEYS_FILE_ENV, CodecKeyError, KeyRing

    problems: list[str] = []
    for name in SECRET_VARIABLES:
        value = environ.get(name, "").strip()
        if not value:
            problems.append(f"{name} is not set")
        elif value.lower() in EXAMPLE_VALUES or "change-me" in value.lower():
            problems.append(f"{name} still has the example value of deploy/example.env")
    token = environ.get("CABLECARE_CODEC_TOKEN", "").strip()
    if token and len(token) < MIN_TOKEN_LENGTH:
        problems.append(f"CABLECARE_CODEC_TOKEN is shorter than {MIN_TOKEN_LENGTH} characters")
    try:
        if KeyRing.from_env(environ) is None:
            problems.append(f"no payload key: mount one and set {KEYS_FILE_ENV} (or {KEYS_ENV})")
    except CodecKeyError as error:
        problems.append(f"payload keys: {error}")
    return problems


def _say(step: str, outcome: str) -> None:
    typer.echo(f"bootstrap {step}: {outcome}")


async def _temporal_steps(task_queue: str, timezone: str) -> None:
    from cablecare.client import connect
    from cablecare.schedules import apply_schedules
    from cablecare.search_attributes import apply_search_attributes

    client = await connect()
    created = await apply_search_attributes(client)
    _say("search-attributes", f"created {', '.join(created)}" if created else "all present")
    done = await apply_schedules(client, task_queue=task_queue, timezone=timezone)
    _say("schedules", ", ".join(f"{sid} {outcome.value}" for sid, outcome in done))


def bootstrap(
    directory: Path | None = typer.Option(
        None,
        "--directory",
        help="Directory file (JSON, CSV or a folder of CSV) to load; skipped when it is absent.",
    ),
    check_secrets_only: bool = typer.Option(
        False, "--check-secrets-only", help="Only refuse example or missing secrets."
    ),
) -> None:
    """Prepare a cluster: secrets checked, migrations, search attributes, Schedules, directory.

    Idempotent (docker-compose runs it on every `up`). Configuration as for `cablecare worker`:
    TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, DATABASE_URL, CABLECARE_CODEC_KEYS_FILE, and the
    secrets POSTGRES_PASSWORD and CABLECARE_CODEC_TOKEN (checked, not used).
    """
    configure_logging("WARNING", temporal_core=False)  # a one-shot job: its own lines only
    problems = secret_problems(os.environ)
    if problems:
        for problem in problems:
            typer.echo(f"bootstrap secrets: refused: {problem}", err=True)
        typer.echo("Set real secrets in .env and deploy/secrets/ (README, Deployment).", err=True)
        raise typer.Exit(2)
    _say("secrets", "no example or missing secret")
    if check_secrets_only:
        return

    from activities.db import init_db
    from cablecare.policy import load_policy
    from cablecare.settings import get_settings

    settings = get_settings()
    try:
        init_db(settings.database_url)
        _say("migrations", "database at the latest schema")
        timezone = load_policy(settings.policy_path).timezone
        asyncio.run(_temporal_steps(settings.task_queue, timezone))
        if directory is not None and directory.exists():
            from activities.directory_load import load_directory_file

            report = load_directory_file(settings.database_url, directory)
            _say("directory", f"loaded {directory}: {report.changed} rows new or changed")
        else:
            _say("directory", f"no file at {directory}: skipped (cablecare directory load)")
    except Exception as error:
        typer.echo(f"bootstrap failed: {type(error).__name__}: {error}", err=True)
        raise typer.Exit(1) from error
    typer.echo("bootstrap done")
