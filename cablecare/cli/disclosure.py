"""`cablecare disclosure`: the public disclosure of R1.1 / R3.2 / R9.8, to print or post.

Reads the SLA policy (the same file the timers use) and the directory in DATABASE_URL.
"""

from __future__ import annotations

from pathlib import Path

import typer
from sqlmodel import Session

from activities.db import get_engine, init_db
from cablecare.disclosure import FORMATS, DisclosureError, build_disclosure, render
from cablecare.policy import PolicyError, load_policy
from cablecare.settings import get_settings


def disclosure(
    format: str = typer.Option("md", "--format", help="md, html or json."),
    area: str | None = typer.Option(None, "--area", help="Only this area (area_id)."),
    lang: str = typer.Option("zh", "--lang", help="zh (default) or en."),
    output: Path | None = typer.Option(None, "--output", help="Write here instead of stdout."),
) -> None:
    """Publish the commitments, hotline, fees, materials and each area's responsible staff."""
    settings = get_settings()
    try:
        if format not in FORMATS:
            raise DisclosureError(f"unknown format {format!r}; use one of {list(FORMATS)}")
        if lang not in ("zh", "en"):
            raise DisclosureError(f"unknown language {lang!r}; use zh or en")
        policy = load_policy(settings.policy_path)
        init_db(settings.database_url)  # an empty directory gives a disclosure without areas
        with Session(get_engine(settings.database_url)) as session:
            doc = build_disclosure(
                policy,
                session,
                lang="zh" if lang == "zh" else "en",
                area_id=area,
            )
        text = render(doc, format)
    except (DisclosureError, PolicyError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)
