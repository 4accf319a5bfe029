"""Helpers for testing code that logs through logging_lib (or plain structlog).

- :func:`capture_events`: collect events as dicts instead of emitting them.
- :class:`MemorySink`: a sink keeping rendered lines, for :func:`logging_lib.configure`.
- :func:`reset`: undo :func:`logging_lib.configure` and clear bound context.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import structlog
from structlog.typing import EventDict, WrappedLogger

from logging_lib.processors import build_pre_chain
from logging_lib.redaction import Redactor
from logging_lib.runtime import reset as _reset_configuration
from logging_lib.sinks import MemorySink

__all__ = ["MemorySink", "capture_events", "reset"]


class _Collector:
    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events

    def __call__(self, logger: WrappedLogger, method_name: str, event_dict: EventDict) -> NoReturn:
        self.append(event_dict)
        raise structlog.DropEvent

    def append(self, event_dict: EventDict) -> None:
        # ``level`` is the key rendered output uses; ``log_level`` is the one
        # structlog.testing.capture_logs uses - both are there, so tests written
        # against either keep working.
        event_dict.setdefault("log_level", event_dict.get("level"))
        event_dict.pop("_record", None)
        event_dict.pop("_from_structlog", None)
        self.events.append(dict(event_dict))


class _CapturingHandler(logging.Handler):
    def __init__(self, processors: list[Any], collector: _Collector) -> None:
        super().__init__()
        self._processors = processors
        self._collector = collector

    def emit(self, record: logging.LogRecord) -> None:
        event: EventDict = {"event": record.getMessage(), "_record": record}
        if record.exc_info:
            event["exc_info"] = record.exc_info
        for processor in self._processors:
            event = processor(None, record.levelname.lower(), event)
        self._collector.append(event)


@contextmanager
def capture_events(*, redact: bool = True) -> Iterator[list[dict[str, Any]]]:
    """Collect every event logged inside the block as a dict, instead of emitting it.

    Events are enriched like real ones (context variables such as
    ``request_id``, ``level``/``log_level``, ``logger``, formatted
    ``exception``) and redacted unless *redact* is False; there is no
    timestamp, so dicts compare easily. structlog events are captured at every
    level the active configuration lets through and emitted nowhere else;
    stdlib records are captured when they reach the root logger, and still
    go to its other handlers. Not thread-safe, like
    ``structlog.testing.capture_logs``.
    """
    events: list[dict[str, Any]] = []
    collector = _Collector(events)
    chain: list[Any] = build_pre_chain(timestamps=False)
    if redact:
        chain.append(Redactor())
    # Bound loggers hold a reference to the configured processor list, so it
    # is edited in place (and restored in place) rather than replaced.
    processors = structlog.get_config()["processors"]
    saved = list(processors)
    processors[:] = [*chain, collector]
    handler = _CapturingHandler(chain, collector)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield events
    finally:
        root.removeHandler(handler)
        processors[:] = saved


def reset() -> None:
    """Undo :func:`logging_lib.configure` and clear structlog's context variables."""
    _reset_configuration()
    structlog.contextvars.clear_contextvars()
