"""The local issuer of `cablecare dev` and `cablecare token issue`: a stand-in for the IdP.

It keeps one RSA signing key under `var/auth/` (created on first use, mode 0600) and publishes its
public half as a JWKS file, which the worker reads exactly as it reads a real IdP's JWKS URL
(`file://...`). Production uses the operator's OIDC provider instead (README, "Identity").
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

DEV_ISSUER = "cablecare-dev"
DEFAULT_AUDIENCE = "cablecare"
KEY_FILE = "issuer-key.pem"
JWKS_FILE = "jwks.json"


def new_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


def sign(
    key: rsa.RSAPrivateKey,
    kid: str,
    *,
    subject: str,
    issuer: str,
    audience: str,
    ttl: timedelta,
    now: datetime | None = None,
    extra: dict[str, Any] | None = None,
) -> str:
    issued = now or datetime.now(UTC)
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "jti": uuid.uuid4().hex,
        "iat": int(issued.timestamp()),
        "nbf": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
        **(extra or {}),
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


@dataclass
class LocalIssuer:
    directory: Path
    issuer: str = DEV_ISSUER
    audience: str = DEFAULT_AUDIENCE

    @property
    def jwks_path(self) -> Path:
        return self.directory / JWKS_FILE

    @property
    def jwks_url(self) -> str:
        return self.jwks_path.resolve().as_uri()

    def _load(self) -> tuple[rsa.RSAPrivateKey, str]:
        path = self.directory / KEY_FILE
        if not path.exists():
            self.directory.mkdir(parents=True, exist_ok=True)
            pem = new_private_key().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        kid = "dev-" + _thumb(key)
        if not self.jwks_path.exists():
            self.jwks_path.write_text(json.dumps({"keys": [public_jwk(key, kid)]}, indent=2))
        return key, kid

    def ensure(self) -> dict[str, Any]:
        """Create the key if needed; return the public JWKS."""
        self._load()
        jwks: dict[str, Any] = json.loads(self.jwks_path.read_text())
        return jwks

    def issue(self, subject: str, ttl: timedelta, *, now: datetime | None = None) -> str:
        key, kid = self._load()
        return sign(
            key, kid, subject=subject, issuer=self.issuer, audience=self.audience, ttl=ttl, now=now
        )


def _thumb(key: rsa.RSAPrivateKey) -> str:
    """A stable key id: the first 16 hex digits of the SHA-256 of the public modulus."""
    n = key.public_key().public_numbers().n
    return hashlib.sha256(n.to_bytes((n.bit_length() + 7) // 8, "big")).hexdigest()[:16]


def parse_ttl(text: str) -> timedelta:
    """`8h`, `30m`, `2d`, `90s`: the `--ttl` of `cablecare token issue`."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = text.strip().lower()
    if len(text) < 2 or text[-1] not in units or not text[:-1].isdigit():
        raise ValueError(f"--ttl {text!r}: use a number and s, m, h or d (e.g. 8h)")
    seconds = int(text[:-1]) * units[text[-1]]
    if seconds <= 0:
        raise ValueError("--ttl must be positive")
    return timedelta(seconds=seconds)


def renewing_source(issuer: LocalIssuer, subject: str, ttl: timedelta = timedelta(hours=12)) -> Any:
    """A token source for a long-running process (the dev worker's own service identity):
    a fresh token whenever the current one has less than a quarter of its life left."""
    state: dict[str, Any] = {"token": None, "renew_at": datetime.min.replace(tzinfo=UTC)}

    def source() -> str:
        now = datetime.now(UTC)
        if state["token"] is None or now >= state["renew_at"]:
            state["token"] = issuer.issue(subject, ttl, now=now)
            state["renew_at"] = now + ttl * 3 / 4
        token: str = state["token"]
        return token

    return source
