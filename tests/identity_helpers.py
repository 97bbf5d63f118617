"""An identity provider and a worker with auth *required*, for the identity tests (issue 10).

The IdP is two RSA keys (A, then B after rotation) and a JWKS file the worker reads as it would
read a real IdP's JWKS URL. The worker's key archive is synced by the test when it wants (the
`KeySync` is the production one; a test that rotates keys calls `sync_once()` itself).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from activities.db import init_db
from activities.directory_load import load_directory_file
from cablecare import REPO_ROOT
from cablecare.auth.client import ActorToken
from cablecare.auth.issuer import new_private_key, public_jwk, sign
from cablecare.settings import Settings
from worker.build import build_worker
from worker.identity import IdentityGate, rules_from_settings
from worker.key_sync import KeySync, record_keys

ISSUER = "https://idp.example.test/realms/cablecare"
AUDIENCE = "cablecare"


@dataclass
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey = field(default_factory=new_private_key)

    @property
    def jwk(self) -> dict[str, Any]:
        return public_jwk(self.private, self.kid)


@dataclass
class Idp:
    client: Client
    settings: Settings
    queue: str
    jwks_path: Path
    sync: KeySync
    gate: IdentityGate
    key: SigningKey  # the key the IdP signs with now

    def token(
        self,
        subject: str,
        *,
        ttl: timedelta = timedelta(hours=8),
        key: SigningKey | None = None,
        audience: str = AUDIENCE,
        issued_at: datetime | None = None,
    ) -> str:
        k = key or self.key
        return sign(
            k.private,
            k.kid,
            subject=subject,
            issuer=ISSUER,
            audience=audience,
            ttl=ttl,
            now=issued_at,
        )

    def as_actor(self, token: str | None) -> Client:
        """A client on the same connection that sends `token` with every message."""
        return Client(
            self.client.service_client,
            namespace=self.client.namespace,
            data_converter=pydantic_data_converter,
            interceptors=[ActorToken(lambda: token)] if token else [],
        )

    def publish(self, *keys: SigningKey) -> None:
        self.jwks_path.write_text(json.dumps({"keys": [k.jwk for k in keys]}))


def pin(database_url: str, *keys: SigningKey) -> None:
    """Keys the operator trusts before they sign anything (as `cablecare dev` does)."""
    record_keys(
        database_url,
        ISSUER,
        [k.jwk for k in keys],
        now=datetime.now(UTC),
        pinned=True,
        retire_missing=False,
    )


@asynccontextmanager
async def identity_worker(client: Client, tmp_path: Path, **overrides: Any) -> AsyncIterator[Idp]:
    database_url = f"sqlite:///{tmp_path / 'cablecare.db'}"
    init_db(database_url)
    load_directory_file(database_url, REPO_ROOT / "data" / "sample-directory.json")
    key_a = SigningKey(kid=f"A-{uuid.uuid4().hex[:6]}")
    jwks = tmp_path / "jwks.json"
    settings = Settings(
        database_url=database_url,
        auth="required",
        auth_issuer=ISSUER,
        auth_audience=AUDIENCE,
        auth_jwks_url=jwks.resolve().as_uri(),
        **overrides,
    )
    pin(database_url, key_a)
    sync = KeySync(
        database_url,
        ISSUER,
        settings.auth_jwks_url,
        every=timedelta(seconds=settings.auth_key_sync_seconds),
    )
    gate = IdentityGate(
        rules=rules_from_settings(settings), archive=lambda: sync.archive, request_sync=sync.request
    )
    idp = Idp(client, settings, f"identity-{uuid.uuid4().hex[:8]}", jwks, sync, gate, key_a)
    idp.publish(key_a)
    sync.start()
    try:
        async with build_worker(client, settings, task_queue=idp.queue, identity=gate):
            yield idp
    finally:
        sync.stop()
