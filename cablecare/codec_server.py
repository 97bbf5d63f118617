"""The codec server for the Temporal Web UI (and any tool): Temporal's remote codec protocol.

`POST .../encode` and `POST .../decode` take and return `{"payloads": [...]}` (the Payloads
protobuf as JSON; only the last path segment counts, so it can be mounted under any prefix).
The UI calls it from each user's browser, which is why it answers CORS preflights, but only
for the UI's own origin: a page elsewhere must not be able to make a browser decrypt for it.
Every POST needs `Authorization: Bearer <CABLECARE_CODEC_TOKEN>`, except, with
`origin_suffices=True` (only `cablecare dev`, bound to 127.0.0.1), a browser request from the
UI's own origin: the dev UI has no login to give the browser a token (cli/dev_security.py).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Sequence

import structlog
from aiohttp import web
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

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
    origin_suffices: bool = False,
) -> web.Application:
    if not tokens:
        raise ValueError(f"the codec server needs a bearer token: set {TOKEN_ENV}")
    origins = {origin.rstrip("/") for origin in allowed_origins}
    expected = [token.encode() for token in tokens]  # several: rotate without downtime

    def authorised(request: web.Request) -> bool:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given:
            return False
        # Constant-time comparison against every valid token.
        return any(hmac.compare_digest(given.strip().encode(), token) for token in expected)

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
        if request.method == "POST" and not trusted_origin and not authorised(request):
            return web.json_response(
                {"error": "missing or invalid bearer token"},
                status=401,
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
