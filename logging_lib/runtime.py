"""configure() / reset(): wiring structlog, stdlib logging, the dispatcher and metrics.

This module holds the one piece of process-wide state logging_lib has - the
active configuration - because structlog and the stdlib root logger are
process-wide themselves. Nothing is set up at import; :func:`configure` does it
and :func:`reset` undoes it.
"""

from __future__ import annotations

import atexit
import logging
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import structlog
from prometheus_client import CollectorRegistry
from structlog.typing import Processor

from logging_lib.config import LoggingConfig, LoggingConfigError
from logging_lib.dispatcher import Dispatcher
from logging_lib.http_sink import HttpSink, http_retry_policy
from logging_lib.metrics import LoggingMetrics
from logging_lib.processors import (
    build_post_chain,
    build_pre_chain,
    build_renderer,
    count_levels,
)
from logging_lib.redaction import Redactor
from logging_lib.sinks import MemorySink, RotatingFileSink, Sink, StreamSink


class DispatchingLogger:
    """The structlog *wrapped logger*: receives rendered lines and submits them.

    Every level method does the same thing - level filtering happened earlier,
    in the bound logger.
    """

    def __init__(self, dispatcher: Dispatcher, name: str | None = None) -> None:
        self.name = name
        self._dispatcher = dispatcher

    def msg(self, message: str) -> None:
        self._dispatcher.submit(message)

    debug = info = warning = warn = error = critical = exception = fatal = log = msg


class _DispatchingLoggerFactory:
    def __init__(self, dispatcher: Dispatcher) -> None:
        self._dispatcher = dispatcher
        # structlog asks for a wrapped logger on every call through an
        # uncached proxy; they are stateless, so one per name is reused.
        self._loggers: dict[str | None, DispatchingLogger] = {}

    def __call__(self, *args: Any) -> DispatchingLogger:
        name = args[0] if args and isinstance(args[0], str) else None
        logger = self._loggers.get(name)
        if logger is None:
            logger = self._loggers.setdefault(name, DispatchingLogger(self._dispatcher, name))
        return logger


class _DispatchingHandler(logging.Handler):
    """Routes stdlib records through the same processors into the dispatcher."""

    def __init__(self, dispatcher: Dispatcher, formatter: logging.Formatter) -> None:
        super().__init__()
        self._dispatcher = dispatcher
        self.setFormatter(formatter)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # noqa: BLE001 - same contract as logging.Handler.emit
            self.handleError(record)
            return
        self._dispatcher.submit(line)


@dataclass(frozen=True)
class LoggingRuntime:
    """What :func:`configure` built: handy for flushing, metrics and tests.

    ``stdlib_handler`` is the handler installed on the root logger; attach it to
    loggers that do not propagate (gunicorn's, for one) to route them too.
    """

    config: LoggingConfig
    dispatcher: Dispatcher
    metrics: LoggingMetrics
    registry: CollectorRegistry
    stdlib_handler: logging.Handler

    def flush(self, timeout: float | None = 5.0) -> bool:
        """Deliver everything logged so far; False if *timeout* passed first."""
        return self.dispatcher.flush(timeout)


@dataclass
class _Active:
    runtime: LoggingRuntime
    handler: _DispatchingHandler
    root_handlers: list[logging.Handler]
    root_level: int
    structlog_config: dict[str, Any]


_lock = threading.Lock()
_active: _Active | None = None


def configure(
    config: LoggingConfig | None = None,
    *,
    sinks: Sequence[Sink] | None = None,
    registry: CollectorRegistry | None = None,
    http_client: httpx.Client | None = None,
) -> LoggingRuntime:
    """Route structlog and stdlib logging through logging_lib's pipeline.

    Calling it again replaces the previous configuration (which is closed,
    delivering what it had accepted). :func:`reset` undoes it.

    Args:
        config: options; defaults to ``LoggingConfig()`` (JSON lines to stderr).
        sinks: sinks to use instead of the ones named in ``config.sinks``.
        registry: Prometheus registry for the metrics; a private one if omitted.
        http_client: client for the ``http`` sink; one is created (and closed on
            reset) if it is needed and omitted.

    Raises:
        LoggingConfigError: the log file cannot be opened (invalid options are
            already rejected when the LoggingConfig is built).
    """
    global _active
    config = config if config is not None else LoggingConfig()
    registry = registry if registry is not None else CollectorRegistry()
    with _lock:
        _reset_locked()
        # Sinks first: if one cannot be built, nothing has been registered yet.
        chosen = list(sinks) if sinks is not None else _build_sinks(config, http_client)
        structlog_config = structlog.get_config()
        metrics = LoggingMetrics(registry)
        dispatcher = Dispatcher(
            chosen, metrics=metrics, queue_size=config.queue_size, synchronous=config.synchronous
        )
        pre_chain = build_pre_chain()
        post_chain = build_post_chain(
            Redactor(config.redact_keys),
            build_renderer(config.format),
            hooks=[count_levels(metrics.count_event)],
        )
        structlog.configure(
            processors=[*pre_chain, *post_chain],
            wrapper_class=structlog.make_filtering_bound_logger(config.level_number),
            logger_factory=_DispatchingLoggerFactory(dispatcher),
            context_class=dict,
            # Not cached: loggers obtained before a reconfiguration (or inside
            # testing.capture_events) must follow the current configuration.
            cache_logger_on_first_use=False,
        )
        root = logging.getLogger()
        saved_handlers, saved_level = list(root.handlers), root.level
        handler = _install_root_handler(config, dispatcher, pre_chain, post_chain)
        runtime = LoggingRuntime(config, dispatcher, metrics, registry, handler)
        _active = _Active(runtime, handler, saved_handlers, saved_level, structlog_config)
        atexit.register(_close_at_exit)
        return runtime


def reset() -> None:
    """Undo :func:`configure`.

    Closes the dispatcher (delivering what it accepted), unregisters the metrics
    and restores structlog's and the root logger's previous configuration.
    """
    with _lock:
        _reset_locked()


def get_logger(name: str | None = None) -> Any:
    """A structlog logger; follows the configuration active when it logs."""
    return structlog.get_logger(name) if name is not None else structlog.get_logger()


def active_runtime() -> LoggingRuntime | None:
    """The runtime built by the last :func:`configure`, or None."""
    active = _active
    return active.runtime if active is not None else None


def _reset_locked() -> None:
    global _active
    active, _active = _active, None
    if active is None:
        return
    atexit.unregister(_close_at_exit)
    root = logging.getLogger()
    root.removeHandler(active.handler)
    for handler in active.root_handlers:
        root.addHandler(handler)
    root.setLevel(active.root_level)
    structlog.configure(**active.structlog_config)
    active.runtime.dispatcher.close()
    active.runtime.metrics.unregister()


def _close_at_exit() -> None:
    # Interpreter shutdown: deliver what was accepted rather than lose it with
    # the daemon worker thread.
    active = _active
    if active is not None:
        active.runtime.dispatcher.close(timeout=5.0)


def _build_sinks(config: LoggingConfig, http_client: httpx.Client | None) -> list[Sink]:
    built: list[Sink] = []
    for name in config.sinks:
        if name == "stdout":
            built.append(StreamSink(sys.stdout, name="stdout"))
        elif name == "stderr":
            built.append(StreamSink(sys.stderr, name="stderr"))
        elif name == "memory":
            built.append(MemorySink())
        elif name == "file":
            try:
                sink: Sink = RotatingFileSink(
                    config.file_path or "",
                    max_bytes=config.file_max_bytes,
                    backup_count=config.file_backup_count,
                )
            except OSError as exc:
                for done in built:
                    done.close()
                raise LoggingConfigError(
                    [f"file_path {str(config.file_path)!r} cannot be opened: {exc.strerror}"]
                ) from exc
            built.append(sink)
        else:  # "http"; LoggingConfig admits no other name
            built.append(
                HttpSink(
                    http_client or httpx.Client(),
                    config.http_url or "",
                    batch_size=config.http_batch_size,
                    timeout=config.http_timeout,
                    retry=http_retry_policy(
                        max_retries=config.http_max_retries,
                        budget_seconds=config.http_retry_budget_seconds,
                    ),
                    owns_client=http_client is None,
                )
            )
    return built


def _install_root_handler(
    config: LoggingConfig,
    dispatcher: Dispatcher,
    pre_chain: list[Processor],
    post_chain: list[Processor],
) -> _DispatchingHandler:
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=pre_chain,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *post_chain],
    )
    handler = _DispatchingHandler(dispatcher, formatter)
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(config.level_number)
    return handler
