"""The codec server of `cablecare dev` (issue 13 item 3): the dev UI's browser has no token to
send, so a request from the UI's own origin is enough; without that origin the token is still
required, and another origin is still refused."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from cablecare.codec import AesGcmCodec, KeyRing, new_key_entry
from cablecare.codec_server import create_app

UI = "http://localhost:8233"
TOKEN = "dev-" + uuid.uuid4().hex


@pytest.fixture
async def dev_codec() -> AsyncIterator[TestClient[web.Request, web.Application]]:
    codec = AesGcmCodec(KeyRing.parse(new_key_entry("dev1")))
    app = create_app(codec, tokens=[TOKEN], allowed_origins=[UI], origin_suffices=True)
    async with TestClient(TestServer(app)) as http:
        yield http


def _body(text: str) -> str:
    payload = Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(text).encode())
    return json_format.MessageToJson(Payloads(payloads=[payload]))


async def test_dev_codec_server_decodes_for_the_ui_origin_without_a_token(
    dev_codec: TestClient[Any, Any],
) -> None:
    encoded = await dev_codec.post(
        "/encode", data=_body("call 13912345678"), headers={"Origin": UI}
    )
    assert encoded.status == 200 and "13912345678" not in await encoded.text()
    decoded = await dev_codec.post("/decode", data=await encoded.text(), headers={"Origin": UI})
    assert decoded.status == 200 and decoded.headers["Access-Control-Allow-Origin"] == UI
    assert (
        "13912345678"
        in json_format.Parse(await decoded.text(), Payloads()).payloads[0].data.decode()
    )


async def test_dev_codec_server_still_needs_the_token_without_the_ui_origin(
    dev_codec: TestClient[Any, Any],
) -> None:
    assert (await dev_codec.post("/decode", data=_body("x"))).status == 401
    evil = await dev_codec.post(
        "/decode", data=_body("x"), headers={"Origin": "https://evil.example"}
    )
    assert evil.status == 403
    tool = await dev_codec.post(
        "/decode", data=_body("x"), headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert tool.status == 200
