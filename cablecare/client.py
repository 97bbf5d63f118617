"""One `connect()` for the worker, the starter, the CLI and the tests (STYLE.md #2).

The connection follows Temporal's own environment configuration (TEMPORAL_ADDRESS,
TEMPORAL_NAMESPACE, TLS, API key) and always uses the pydantic data converter; payloads are
encrypted when codec keys are configured (CABLECARE_CODEC_KEYS[_FILE], cablecare/codec.py).
"""

from __future__ import annotations

from typing import Any, Literal

from temporalio.client import Client
from temporalio.converter import PayloadCodec
from temporalio.envconfig import ClientConfig

from cablecare.auth.client import ActorToken, TokenSource, token_from_env
from cablecare.codec import codec_from_env, data_converter


async def connect(
    target_host: str | None = None,
    *,
    codec: PayloadCodec | None | Literal["env"] = "env",
    token: str | TokenSource | None | Literal["env"] = "env",
    **overrides: Any,
) -> Client:
    """Connect per Temporal's env config; `target_host` and `overrides` win over it.

    `codec="env"` encrypts payloads when CABLECARE_CODEC_KEYS or CABLECARE_CODEC_KEYS_FILE is
    set (and only then); pass a codec or None to decide explicitly.
    `token="env"` puts CABLECARE_TOKEN (or the contents of CABLECARE_TOKEN_FILE) on every start,
    update and signal as the actor token (cablecare/auth/); pass a token, a callable or None.
    """
    config: dict[str, Any] = dict(ClientConfig.load_client_connect_config())
    config.setdefault("target_host", "localhost:7233")
    if target_host:
        config["target_host"] = target_host
    config.update(overrides)
    chosen = codec_from_env() if codec == "env" else codec
    source = token_from_env() if token == "env" else token
    if isinstance(source, str):
        fixed = source
        source = lambda: fixed  # noqa: E731
    if source is not None:
        config["interceptors"] = [*config.get("interceptors", []), ActorToken(source)]
    return await Client.connect(**config, data_converter=data_converter(chosen))
