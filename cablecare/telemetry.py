"""The SDK's metrics on a Prometheus endpoint (issue 5): set up once, before any client connects.

`CABLECARE_METRICS_PORT=9464` makes `cablecare worker` (and `cablecare dev`) serve
`http://<host>:9464/metrics` with the SDK core's metrics: workflow and activity task latencies,
poll successes, sticky cache hits, request failures (`temporal_*`). Unset: no endpoint. The
address defaults to 0.0.0.0 (inside a container); CABLECARE_METRICS_HOST narrows it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import structlog
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from cablecare.logging import core_logging_config

log = structlog.get_logger(__name__)

PORT_ENV = "CABLECARE_METRICS_PORT"
HOST_ENV = "CABLECARE_METRICS_HOST"


def metrics_bind_address(environ: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if environ is None else environ
    port = env.get(PORT_ENV, "").strip()
    if not port:
        return None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{PORT_ENV}={port!r} is not a port number")
    return f"{env.get(HOST_ENV, '0.0.0.0').strip()}:{port}"


def telemetry_runtime(metrics_bind: str | None) -> Runtime:
    """A runtime forwarding core logs as configure_logging does, plus Prometheus when asked."""
    metrics = PrometheusConfig(bind_address=metrics_bind) if metrics_bind else None
    return Runtime(telemetry=TelemetryConfig(logging=core_logging_config(), metrics=metrics))


def install_metrics(environ: Mapping[str, str] | None = None) -> str | None:
    """Make the process-wide runtime serve metrics when CABLECARE_METRICS_PORT is set.

    Returns the bind address, or None when metrics are off. Call before the first connect().
    """
    bind = metrics_bind_address(environ)
    if bind:
        Runtime.set_default(telemetry_runtime(bind), error_if_already_set=False)
        log.info("prometheus metrics", url=f"http://{bind}/metrics")
    return bind
