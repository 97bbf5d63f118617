"""One logging configuration, called once at process start (docs/conventions.md #7,
issue 2 item 10).

structlog renders every record: pretty console output on a terminal, one JSON object per line
otherwise (containers, CI, log shippers). Records from the standard library, including the
Temporal SDK's `temporalio.*` loggers, go through `structlog.stdlib.ProcessorFormatter` to the
same output, and so do the SDK core's (Rust) log lines when `temporal_core` is on.
"""

from __future__ import annotations

import logging
import sys
from typing import IO, TYPE_CHECKING, Any

import structlog
import structlog.tracebacks
from structlog.typing import Processor

if TYPE_CHECKING:
    from temporalio.runtime import LoggingConfig

_HANDLER_NAME = "cablecare"

# Libraries that are chatty at INFO about things nobody acts on.
_QUIET = {"alembic.runtime.plugins": logging.WARNING}


def configure_logging(
    level: str | int = "INFO",
    json: bool | None = None,
    *,
    stream: IO[str] | None = None,
    temporal_core: bool = True,
) -> None:
    """Configure structlog and stdlib logging. Calling it again replaces the configuration.

    `json=None` picks JSON unless `stream` (stderr by default) is a terminal. `temporal_core`
    forwards the SDK core's log lines (connection and poll errors) to the `temporalio.core`
    logger instead of letting them go to stderr in their own format.
    """
    stream = stream if stream is not None else sys.stderr
    if json is None:
        json = not (hasattr(stream, "isatty") and stream.isatty())
    level_no = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    if not isinstance(level_no, int):
        raise ValueError(f"unknown log level: {level!r}")

    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        # The SDK's workflow/activity loggers put their context (workflow id, run id, activity
        # type, attempt) in `extra`: keep it as fields.
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Processor
    # Issue 9.6: tracebacks without local variables. Both of structlog's renderers show every
    # frame's locals by default, which put decoded activity arguments (customers' names and
    # phones) in the log in clear, payload encryption or not.
    if json:
        renderer = structlog.processors.JSONRenderer(default=str)
        tracebacks = structlog.processors.ExceptionRenderer(
            structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
        )
        final: list[Processor] = [tracebacks, renderer]
    else:
        renderer = structlog.dev.ConsoleRenderer(exception_formatter=_console_tracebacks())
        final = [renderer]

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )

    handler = logging.StreamHandler(stream)
    handler.name = _HANDLER_NAME
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.name == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level_no)
    logging.captureWarnings(True)
    for name, floor in _QUIET.items():
        logging.getLogger(name).setLevel(max(floor, level_no))

    if temporal_core:
        _forward_temporal_core_logs()


def _console_tracebacks() -> Any:
    try:
        import rich  # noqa: F401  (optional: pretty tracebacks when installed)
    except ImportError:
        return structlog.dev.plain_traceback
    return structlog.dev.RichTracebackFormatter(show_locals=False)


_core_forwarding_installed = False


def _forward_temporal_core_logs() -> None:
    """Route the SDK core's logs to `temporalio.core` (once: the runtime is process-wide).

    Must run before the first client connects, which is why `configure_logging` is called first
    thing by every command.
    """
    global _core_forwarding_installed
    if _core_forwarding_installed:
        return
    from temporalio.runtime import Runtime, TelemetryConfig

    runtime = Runtime(telemetry=TelemetryConfig(logging=core_logging_config()))
    Runtime.set_default(runtime, error_if_already_set=False)
    _core_forwarding_installed = True


def core_logging_config() -> LoggingConfig:
    """The SDK core's log lines, forwarded to `temporalio.core` (also used by telemetry.py)."""
    from temporalio.runtime import LogForwardingConfig, LoggingConfig, TelemetryFilter

    return LoggingConfig(
        filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
        forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")),
    )


def get_logger(name: str | None = None, **initial: Any) -> structlog.stdlib.BoundLogger:
    """A structlog logger with optional bound fields: `get_logger(__name__, request_id=...)`."""
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger.bind(**initial) if initial else logger
