"""The codec server behind the Web UI's login (issue 10): it accepts the UI's OIDC access token
(`TEMPORAL_CODEC_PASS_ACCESS_TOKEN`), verified against the same issuer as the workers, and
decodes only for staff whose directory roles allow them to see customer data.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from activities.db import init_db
from activities.directory_load import load_directory_file
from cablecare import REPO_ROOT
from cablecare.auth.issuer import sign
from cablecare.auth.ui_login import UiLogin
from cablecare.cli.codec_cmd import directory_roles
from cablecare.codec import AesGcmCodec, KeyRing, new_key_entry
from cablecare.codec_server import create_app
from cablecare.settings import Settings
from tests.identity_helpers import AUDIENCE, ISSUER, SigningKey

UI = "http://localhost:8233"
KEYS = new_key_entry("k1")


@pytest.fixture
def idp_key(tmp_path: Path) -> SigningKey:
    key = SigningKey(kid="ui-1")
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [key.jwk]}))
    return key


@pytest.fixture
async def codec_http(tmp_path: Path, idp_key: SigningKey) -> AsyncIterator[TestClient[Any, Any]]:
    database_url = f"sqlite:///{tmp_path / 'cablecare.db'}"
    init_db(database_url)
    load_directory_file(database_url, REPO_ROOT / "data" / "sample-directory.json")
    login = UiLogin(
        issuer=ISSUER,
        audience=AUDIENCE,
        jwks_url=(tmp_path / "jwks.json").resolve().as_uri(),
        roles_of=directory_roles(database_url),
        allowed_roles=Settings().auth_customer_data_roles,
    )
    app = create_app(AesGcmCodec(KeyRing.parse(KEYS)), tokens=[], allowed_origins=[UI], login=login)
    async with TestClient(TestServer(app)) as http:
        yield http


def access_token(key: SigningKey, staff_id: str, audience: str = AUDIENCE) -> str:
    return sign(
        key.private,
        key.kid,
        subject=staff_id,
        issuer=ISSUER,
        audience=audience,
        ttl=timedelta(minutes=10),
    )


async def encrypted(text: str) -> str:
    codec = AesGcmCodec(KeyRing.parse(KEYS))
    plain = Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(text).encode())
    return json_format.MessageToJson(Payloads(payloads=await codec.encode([plain])))


async def decode(http: TestClient[Any, Any], authorization: str | None) -> Any:
    headers = {"Origin": UI, "X-Namespace": "default"}
    if authorization is not None:
        headers["Authorization"] = authorization
    return await http.post("/decode", data=await encrypted("subscriber address"), headers=headers)


async def test_codec_server_decodes_for_a_supervisor_logged_in_to_the_ui(
    codec_http: TestClient[Any, Any], idp_key: SigningKey
) -> None:
    response = await decode(codec_http, f"Bearer {access_token(idp_key, 'SUP-HF-01')}")
    assert response.status == 200
    payloads = json_format.Parse(await response.text(), Payloads())
    assert json.loads(payloads.payloads[0].data) == "subscriber address"


@pytest.mark.parametrize("case", ["missing", "garbage", "wrong_key", "wrong_audience"])
async def test_codec_server_refuses_a_missing_or_wrong_token(
    codec_http: TestClient[Any, Any], idp_key: SigningKey, case: str
) -> None:
    authorization = {
        "missing": None,
        "garbage": "Bearer not-a-jwt",
        "wrong_key": f"Bearer {access_token(SigningKey(kid=idp_key.kid), 'SUP-HF-01')}",
        "wrong_audience": f"Bearer {access_token(idp_key, 'SUP-HF-01', audience='other')}",
    }[case]
    response = await decode(codec_http, authorization)
    assert response.status == 401
    assert "subscriber address" not in await response.text()


async def test_codec_server_refuses_staff_without_a_customer_data_role(
    codec_http: TestClient[Any, Any], idp_key: SigningKey
) -> None:
    response = await decode(codec_http, f"Bearer {access_token(idp_key, 'T-HF-01-1')}")
    assert response.status == 403
    assert "no role allowed to see customer data" in (await response.json())["error"]
    unknown = await decode(codec_http, f"Bearer {access_token(idp_key, 'NOBODY-1')}")
    assert unknown.status == 403
