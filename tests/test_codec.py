"""Personal data protection (issue 5 item 4): the AES-GCM codec, key rotation, the codec server,
and the Temporal server's own SQLite file holding no customer text when the codec is on.
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.client import Client, WorkflowQueryFailedError

from cablecare.client import connect
from cablecare.codec import (
    ENCODING,
    KEY_ID_METADATA,
    AesGcmCodec,
    CodecKeyError,
    KeyRing,
    codec_from_env,
    data_converter,
    new_key_entry,
)
from cablecare.codec_server import create_app
from cablecare.devserver import DevServer
from cablecare.settings import Settings
from tests.conftest import temporal_binary
from worker.build import build_worker

OLD = new_key_entry("k2025")
NEW = new_key_entry("k2026")
TOKEN = "test-token-" + uuid.uuid4().hex
UI = "http://localhost:8233"


def _plain(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(text).encode())


async def test_round_trip_names_the_key_and_hides_the_text() -> None:
    codec = AesGcmCodec(KeyRing.parse(NEW))
    original = _plain("电视没有信号 no signal")
    [encoded] = await codec.encode([original])
    assert encoded.metadata["encoding"] == ENCODING
    assert encoded.metadata[KEY_ID_METADATA] == b"k2026"
    assert b"signal" not in encoded.data
    assert await codec.decode([encoded]) == [original]
    # A fresh nonce each time: the same text never gives the same bytes.
    [again] = await codec.encode([original])
    assert again.data != encoded.data


async def test_payloads_of_an_old_key_decode_after_rotation() -> None:
    [old_payload] = await AesGcmCodec(KeyRing.parse(OLD)).encode([_plain("old case")])
    rotated = AesGcmCodec(KeyRing.parse(f"{NEW},{OLD}"))  # new key first: it encodes
    assert await rotated.decode([old_payload]) == [_plain("old case")]
    [new_payload] = await rotated.encode([_plain("new case")])
    assert new_payload.metadata[KEY_ID_METADATA] == b"k2026"
    # Once the old key is dropped, its payloads are refused by name, not garbled.
    with pytest.raises(CodecKeyError, match="k2025"):
        await AesGcmCodec(KeyRing.parse(NEW)).decode([old_payload])


async def test_unencrypted_payloads_pass_through_decode() -> None:
    codec = AesGcmCodec(KeyRing.parse(NEW))
    assert await codec.decode([_plain("from before encryption")]) == [
        _plain("from before encryption")
    ]


def test_keys_from_env_or_file_never_echo_the_key(tmp_path: Path) -> None:
    assert codec_from_env({}) is None
    assert KeyRing.from_env({"CABLECARE_CODEC_KEYS": f"{NEW},{OLD}"}).active == "k2026"  # type: ignore[union-attr]
    key_file = tmp_path / "keys"
    key_file.write_text(f"# rotated 2026-01\n{NEW}\n{OLD}\n")
    ring = KeyRing.from_env({"CABLECARE_CODEC_KEYS_FILE": str(key_file)})
    assert ring is not None and set(ring.keys) == {"k2026", "k2025"}
    short = "k1:" + base64.b64encode(b"0123456789").decode()
    with pytest.raises(CodecKeyError, match="10 bytes"):
        KeyRing.parse(short)
    with pytest.raises(CodecKeyError) as bad:
        KeyRing.parse("k1:not*base64*secret")
    assert "secret" not in str(bad.value)


# --- the codec server -----------------------------------------------------------------------
@pytest.fixture
async def codec_http() -> AsyncIterator[TestClient[web.Request, web.Application]]:
    app = create_app(
        AesGcmCodec(KeyRing.parse(f"{NEW},{OLD}")), tokens=[TOKEN], allowed_origins=[UI]
    )
    async with TestClient(TestServer(app)) as http:
        yield http


def _body(*payloads: Payload) -> str:
    return json_format.MessageToJson(Payloads(payloads=payloads))


async def test_codec_server_round_trips_for_the_ui(codec_http: TestClient[Any, Any]) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}", "Origin": UI, "X-Namespace": "default"}
    encoded = await codec_http.post("/encode", data=_body(_plain("report text")), headers=auth)
    assert encoded.status == 200
    assert encoded.headers["Access-Control-Allow-Origin"] == UI
    # Mounted under any prefix: only the last path segment counts (the codec protocol).
    decoded = await codec_http.post("/ns/default/decode", data=await encoded.text(), headers=auth)
    assert decoded.status == 200
    payloads = json_format.Parse(await decoded.text(), Payloads())
    assert list(payloads.payloads) == [_plain("report text")]


async def test_codec_server_answers_the_ui_preflight(codec_http: TestClient[Any, Any]) -> None:
    response = await codec_http.options(
        "/decode",
        headers={
            "Origin": UI,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,x-namespace",
        },
    )
    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == UI
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", f"Basic {TOKEN}", "Bearer "],
    ids=["none", "wrong-token", "basic-scheme", "empty-bearer"],  # stable: TOKEN is random
)
async def test_codec_server_refuses_without_the_token(
    codec_http: TestClient[Any, Any], authorization: str | None
) -> None:
    headers = {"Origin": UI} | ({"Authorization": authorization} if authorization else {})
    response = await codec_http.post("/decode", data=_body(_plain("x")), headers=headers)
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_codec_server_refuses_another_origin(codec_http: TestClient[Any, Any]) -> None:
    evil = {"Origin": "https://evil.example", "Authorization": f"Bearer {TOKEN}"}
    response = await codec_http.post("/decode", data=_body(_plain("x")), headers=evil)
    assert response.status == 403
    assert "Access-Control-Allow-Origin" not in response.headers
    preflight = await codec_http.options("/decode", headers={"Origin": "https://evil.example"})
    assert preflight.status == 403
    assert "Access-Control-Allow-Origin" not in preflight.headers


async def test_codec_server_says_what_is_wrong_with_a_bad_body(
    codec_http: TestClient[Any, Any],
) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    response = await codec_http.post("/decode", data="{not json", headers=auth)
    assert response.status == 400 and "cannot decode" in (await response.json())["error"]


def test_codec_server_needs_a_token() -> None:
    with pytest.raises(ValueError, match="CABLECARE_CODEC_TOKEN"):
        create_app(AesGcmCodec(KeyRing.parse(NEW)), tokens=[], allowed_origins=[UI])


def test_codec_converter_also_encodes_failure_messages() -> None:
    assert data_converter(None).payload_codec is None
    converter = data_converter(AesGcmCodec(KeyRing.parse(NEW)))
    assert converter.payload_codec is not None
    assert converter.failure_converter._encode_common_attributes  # type: ignore[attr-defined]


# --- the server's database holds no customer text ------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _temporal_cli(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        temporal_binary(),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_server_database_holds_no_description_or_report_text(
    tmp_path: Path, worker_settings: Settings
) -> None:
    """With the codec on, a case's free text never reaches the server's SQLite file in clear.

    The case is started by the `temporal` CLI through the codec server (what a non-Python
    client does), worked by a Python worker with the codec, and the db file is grepped.
    """
    marker = uuid.uuid4().hex[:12]
    description = f"客户描述 leaking roof near the amplifier {marker}"
    report = f"technician report: customer not home, neighbour {marker}"
    resolution = f"replaced splitter in the stairwell {marker}"
    control = f"clear-text control {marker}"
    codec = AesGcmCodec(KeyRing.parse(f"{NEW},{OLD}"))
    codec_port = _free_port()
    runner = web.AppRunner(create_app(codec, tokens=[TOKEN], allowed_origins=[UI]))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", codec_port).start()
    server = DevServer(var_dir=tmp_path, port=_free_port(), ui_port=_free_port())
    try:
        await server.start()
        client = await connect(server.address, codec=codec, tls=False, api_key=None)
        queue = f"codec-{uuid.uuid4()}"
        async with build_worker(client, worker_settings, task_queue=queue):
            request_id = f"ENC-{marker}"
            wid = f"service-request-{request_id}"
            body = {
                "request_id": request_id,
                "kind": "fault",
                "subscriber_id": "SUB-000002",
                "channel": "phone",
                "received_by": [{"staff_id": "CTR-HF-1", "rank": 1}],
                "description": description,
            }
            codec_flags = [
                "--address", server.address,
                "--codec-endpoint", f"http://127.0.0.1:{codec_port}",
                "--codec-auth", f"Bearer {TOKEN}",
            ]  # fmt: skip
            code, out, err = await _temporal_cli(
                *("workflow", "start", "--type", "ServiceRequest", "--task-queue", queue),
                *("--workflow-id", wid, "--input", json.dumps(body), *codec_flags),
            )
            assert code == 0, err
            handle = client.get_workflow_handle(wid)
            snap: dict[str, Any] = {}
            for _ in range(200):
                try:
                    snap = await handle.query("status")
                except WorkflowQueryFailedError as early:
                    # Before intake the query fails; its message is encrypted too.
                    assert str(early) == "Encoded failure"
                if snap.get("state") == "assigned":
                    break
                await asyncio.sleep(0.05)
            tech = snap["technician_id"]
            # The technician's report as a signal's note (signals are payloads too).
            await handle.signal(
                "technician_update",
                {"type": "progress", "technician_id": tech, "status": "on_site", "note": report},
            )
            await handle.execute_update("resolve", {"by": tech, "resolution": resolution})
            # The CLI reads it back in clear through the codec server.
            code, out, err = await _temporal_cli(
                *("workflow", "query", "--workflow-id", wid, "--name", "status"),
                *("--output", "json", *codec_flags),
            )
            assert code == 0, err
            assert json.loads(out)["queryResult"][0]["resolution"] == resolution
            # Positive control: a client without the codec writes its text in clear.
            plain = await Client.connect(server.address)
            await plain.start_workflow(
                "NobodyServesThis", control, id=f"c-{marker}", task_queue="x"
            )
    finally:
        await asyncio.to_thread(server.stop)
        await runner.cleanup()

    stored = b"".join(p.read_bytes() for p in tmp_path.glob("temporal.db*"))
    assert control.encode() in stored, "the grep itself must find clear text"
    assert wid.encode() in stored  # workflow ids are clear by design (no personal data)
    # ASCII fragments too: a JSON encoder may have escaped the Chinese characters.
    for secret in (description, report, resolution, "leaking roof", "neighbour", "splitter"):
        assert secret.encode() not in stored, secret
