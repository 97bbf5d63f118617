"""`cablecare token issue`: a token from the local issuer of `cablecare dev` (var/auth/).

For development and demonstrations only: in production the operator's OIDC provider issues the
tokens (README, "Identity"), and the workers do not trust this issuer.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Actor tokens from the local issuer of `cablecare dev`.", no_args_is_help=True
)


@app.command("issue")
def issue(
    staff: str = typer.Option(..., "--staff", help="The staff id (or service identity) acting."),
    ttl: str = typer.Option("8h", "--ttl", help="Lifetime: 30m, 8h, 2d ..."),
) -> None:
    """Print a signed token for STAFF: send it in the Temporal header `cablecare_actor`.

    Example: `temporal workflow update execute ... --headers cablecare_actor="\\"$TOKEN\\""`,
    or `export CABLECARE_TOKEN=...` for the cablecare commands and Python clients.
    """
    from cablecare.auth.issuer import LocalIssuer, parse_ttl
    from cablecare.settings import get_settings

    try:
        lifetime = parse_ttl(ttl)
    except ValueError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    if not staff.strip():
        typer.echo("error: --staff must name someone", err=True)
        raise typer.Exit(2)
    settings = get_settings()
    typer.echo(LocalIssuer(settings.var_dir / "auth").issue(staff.strip(), lifetime))
