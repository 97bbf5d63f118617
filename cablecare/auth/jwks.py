"""Fetch an IdP's published signing keys (JWKS): PyJWT's client for https://, a plain read for
the local issuer's file:// JWKS (PyJWKClient refuses that scheme). Public keys only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

import jwt

_PRIVATE_PARTS = ("d", "p", "q", "dp", "dq", "qi", "k")  # never keep a private or shared key


def fetch_jwks(url: str) -> list[dict[str, Any]]:
    if url.startswith("file://"):
        data = json.loads(Path(url2pathname(urlparse(url).path)).read_text(encoding="utf-8"))
    else:
        data = jwt.PyJWKClient(url, cache_jwk_set=False, cache_keys=False).fetch_data()
    keys = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(keys, list):
        raise ValueError(f"{url} is not a JWKS (no 'keys' list)")
    return [
        {k: v for k, v in key.items() if k not in _PRIVATE_PARTS}
        for key in keys
        if isinstance(key, dict)
        and isinstance(key.get("kid"), str)
        and key.get("use", "sig") == "sig"
        and key.get("kty") in ("RSA", "EC", "OKP")
    ]
