"""The codec server for the Temporal Web UI (and any tool): Temporal's remote codec protocol.

`POST .../encode` and `POST .../decode` take and return `{"payloads": [...]}` (the Payloads
protobuf as JSON; only the last path segment counts, so it can be mounted under any prefix).
The UI calls it from each user's browser, which is why it answers CORS preflights, but only
for the UI's own origin: a page elsewhere must not be able to make a browser decrypt for it.
Every POST needs `Authorization: Bearer <token>`: the Web UI's own OIDC access token of a
staff member allowed to see customer data (cablecare/auth/ui_login.py, issue 10), or, for
automation only, one of the static CABLECARE_CODEC_TOKEN values. The one exception is
`origin_suffices=True` (only `cablecare dev`, bound to 127.0.0.1): a browser request from the
UI's own origin, since the dev UI has no login to give the browser a token (cli/dev_security.py).
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable, Sequence

import structlog
from aiohttp import web
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from cablecare.auth.ui_login import Denied, UiLogin
from cablecare.codec import AesGcmCodec

log = structlog.get_logger(__name__)

TOKEN_ENV = "CABLECARE_CODEC_TOKEN"
ORIGINS_ENV = "CABLECARE_CODEC_ALLOWED_ORIGINS"
DEFAULT_ORIGINS = ("http://localhost:8233",)  # the dev server's UI; compose sets its own
_ALLOWED_HEADERS = "Authorization, Content-Type, X-Namespace"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def split_list(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def create_app(
    codec: AesGcmCodec,
    *,
    tokens: Sequence[str],
    allowed_origins: Sequence[str],
    login: UiLogin | None = None,
    origin_suffices: bool = False,
) -> web.Application:
    if not tokens and login is None:
        raise ValueError(
            "the codec server needs a login: set CABLECARE_AUTH_ISSUER and "
            f"CABLECARE_AUTH_JWKS_URL (the UI's OIDC provider), or {TOKEN_ENV} for automation"
        )
    origins = {origin.rstrip("/") for origin in allowed_origins}
    expected = [token.encode() for token in tokens]  # several: rotate without downtime

    async def denied(request: web.Request) -> Denied | None:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        given = given.strip()
        if scheme.lower() != "bearer" or not given:
            return Denied(401, "missing or invalid bearer token")
        # Constant-time comparison against every valid static token.
        if any(hmac.compare_digest(given.encode(), token) for token in expected):
            return None
        if login is None:
            return Denied(401, "missing or invalid bearer token")
        return await asyncio.to_thread(login.check, given)  # JWKS and directory: blocking

    @web.middleware
    async def cors_and_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin is not None and origin.rstrip("/") not in origins:
            log.warning("codec request from a foreign origin refused", origin=origin)
            raise web.HTTPForbidden(text="origin not allowed")
        cors = (
            {
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Credentials": "true",
                "Vary": "Origin",
            }
            if origin
            else {}
        )
        if request.method == "OPTIONS":
            # Browsers send preflights without credentials: answer them before the token check.
            return web.Response(
                status=204,
                headers={
                    **cors,
                    "Access-Control-Allow-Methods": "POST, OPTIONS",
                    "Access-Control-Allow-Headers": _ALLOWED_HEADERS,
                    "Access-Control-Max-Age": "600",
                },
            )
        trusted_origin = origin_suffices and origin is not None
        refusal = await denied(request) if request.method == "POST" and not trusted_origin else None
        if refusal is not None:
            log.info("codec request refused", status=refusal.status, reason=refusal.reason)
            return web.json_response(
                {"error": refusal.reason},
                status=refusal.status,
                headers={**cors, "WWW-Authenticate": "Bearer"},
            )
        response = await handler(request)
        response.headers.update(cors)
        return response

    async def transcode(request: web.Request) -> web.StreamResponse:
        action = request.match_info["tail"].rstrip("/").rsplit("/", 1)[-1]
        if action not in ("encode", "decode"):
            raise web.HTTPNotFound(text="use POST .../encode or .../decode")
        payloads = Payloads()
        try:
            json_format.Parse(await request.text(), payloads)
            if action == "encode":
                result = await codec.encode(payloads.payloads)
            else:
                result = await codec.decode(payloads.payloads)
        except Exception as error:  # bad JSON, unknown key id, tampered ciphertext
            log.info("codec request refused", action=action, error=type(error).__name__)
            return web.json_response({"error": f"cannot {action}: {error}"}, status=400)
        body = json_format.MessageToJson(Payloads(payloads=result))
        return web.Response(text=body, content_type="application/json")

    async def health(request: web.Request) -> web.StreamResponse:
        return web.json_response({"status": "ok", "active_key_id": codec.active_key_id})

    app = web.Application(middlewares=[cors_and_auth], client_max_size=8 * 1024 * 1024)
    app.router.add_get("/health", health)
    app.router.add_route("OPTIONS", "/{tail:.*}", transcode)  # answered by the middleware
    app.router.add_post("/{tail:.*}", transcode)
    return app
