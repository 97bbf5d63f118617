"""One `connect()` for the worker, the starter, the CLI and the tests (docs/conventions.md #2).

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
    try:
        return await Client.connect(**config, data_converter=data_converter(chosen))
    except RuntimeError as err:
        if "connect" not in str(err).lower():
            raise
        # 13.5: the operator's words, not the transport library's error dump.
        raise ServerUnreachable(config["target_host"], str(err)) from None


class ServerUnreachable(RuntimeError):
    """No Temporal server answered at the address (a RuntimeError, as the SDK's own)."""

    def __init__(self, address: str, detail: str) -> None:
        lowered = detail.lower()
        if "refused" in lowered:
            why = "connection refused"
        elif "timed out" in lowered or "timeout" in lowered:
            why = "no answer in time"
        elif "dns" in lowered or "resolve" in lowered or "name or service" in lowered:
            why = "unknown host"
        else:
            why = "no connection"
        super().__init__(
            f"Temporal server not reachable at {address} ({why}); is it running, and is "
            "TEMPORAL_ADDRESS right?"
        )
        self.address = address
