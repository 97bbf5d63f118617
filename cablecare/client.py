"""One `connect()` for the worker, the starter, the CLI and the tests (STYLE.md #2).

The connection follows Temporal's own environment configuration (TEMPORAL_ADDRESS,
TEMPORAL_NAMESPACE, TLS, API key) and always uses the pydantic data converter.
"""

from __future__ import annotations

from typing import Any

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.envconfig import ClientConfig


async def connect(target_host: str | None = None, **overrides: Any) -> Client:
    """Connect per Temporal's env config; `target_host` and `overrides` win over it."""
    config: dict[str, Any] = dict(ClientConfig.load_client_connect_config())
    config.setdefault("target_host", "localhost:7233")
    if target_host:
        config["target_host"] = target_host
    config.update(overrides)
    return await Client.connect(**config, data_converter=pydantic_data_converter)
