"""`cablecare codec-server` (the Temporal UI's decoder) and `cablecare codec-key` (a new key)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

import structlog
import typer

from cablecare.logging import configure_logging

if TYPE_CHECKING:
    from cablecare.auth.ui_login import UiLogin

log = structlog.get_logger(__name__)


def codec_server(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on (0.0.0.0 in a container)."),
    port: int = typer.Option(8081, help="HTTP port."),
    log_level: str = typer.Option("INFO", "--log-level"),
) -> None:
    """Serve POST /encode and /decode (Temporal's codec protocol) for the Web UI and tools.

    Configuration: CABLECARE_CODEC_KEYS or CABLECARE_CODEC_KEYS_FILE (the keys);
    the login: CABLECARE_AUTH_ISSUER, CABLECARE_AUTH_AUDIENCE, CABLECARE_AUTH_JWKS_URL (the
    UI's OIDC provider; the UI passes its access token) with DATABASE_URL (the directory: who
    holds a role in CABLECARE_AUTH_CUSTOMER_DATA_ROLES), and/or CABLECARE_CODEC_TOKEN (static
    bearer token(s) for automation); CABLECARE_CODEC_ALLOWED_ORIGINS (the UI's origin(s);
    default http://localhost:8233).
    """
    from aiohttp import web

    from cablecare.codec import KEYS_ENV, CodecKeyError, codec_from_env
    from cablecare.codec_server import (
        DEFAULT_ORIGINS,
        ORIGINS_ENV,
        TOKEN_ENV,
        create_app,
        split_list,
    )

    configure_logging(log_level)
    try:
        codec = codec_from_env()
        if codec is None:
            raise CodecKeyError(f"no keys: set {KEYS_ENV} or {KEYS_ENV}_FILE")
        origins = split_list(os.environ.get(ORIGINS_ENV)) or list(DEFAULT_ORIGINS)
        app = create_app(
            codec,
            tokens=split_list(os.environ.get(TOKEN_ENV)),
            allowed_origins=origins,
            login=_ui_login(),
        )
    except ValueError as error:
        log.error("codec server not started", error=str(error))
        raise typer.Exit(2) from error
    log.info(
        "codec server listening",
        url=f"http://{host}:{port}",
        active_key_id=codec.active_key_id,
        allowed_origins=origins,
    )
    web.run_app(app, host=host, port=port, print=None, access_log=None)


def _ui_login() -> UiLogin | None:
    """The UI's OIDC login, when an issuer is configured (the same settings as the workers)."""
    from cablecare.auth.ui_login import UiLogin
    from cablecare.settings import get_settings

    settings = get_settings()
    if not (settings.auth_issuer and settings.auth_jwks_url):
        return None
    return UiLogin(
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        jwks_url=settings.auth_jwks_url,
        roles_of=directory_roles(settings.database_url),
        allowed_roles=settings.auth_customer_data_roles,
        staff_claim=settings.auth_staff_claim,
    )


def directory_roles(database_url: str) -> Callable[[str], set[str]]:
    """A staff member's roles from the directory: the same roster the workflows check."""

    def roles_of(staff_id: str) -> set[str]:
        from activities.db import SessionFactory
        from activities.directory_tables import Staff

        with SessionFactory(database_url)() as session:
            staff = session.get(Staff, staff_id)
            return set(staff.roles) if staff is not None else set()

    return roles_of


def codec_key(
    key_id: str = typer.Argument(..., help="Id of the new key, e.g. k2026a."),
) -> None:
    """Print a fresh `id:base64key` entry (AES-256) to put first in CABLECARE_CODEC_KEYS."""
    from cablecare.codec import CodecKeyError, KeyRing, new_key_entry

    entry = new_key_entry(key_id)
    try:
        KeyRing.parse(entry)
    except CodecKeyError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from error
    typer.echo(entry)
