"""The processor chain every event goes through, structlog-native or stdlib.

The chain has two halves. The *pre-chain* enriches an event (context variables,
level, logger name, timestamp, exception text); it runs for structlog calls and,
through :class:`structlog.stdlib.ProcessorFormatter`, for stdlib records. The
*post-chain* always ends with ``Redactor -> [hooks] -> renderer``: nothing
reaches a sink without passing the redactor first.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

if TYPE_CHECKING:  # redaction imports safe_repr from here
    from logging_lib.redaction import Redactor

Format = Literal["json", "console"]


def safe_repr(value: object) -> str:
    """``repr(value)``, or a placeholder naming the type if ``__repr__`` raises."""
    try:
        return repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ must never reach the caller
        return f"<unrepresentable {type(value).__qualname__}>"


def _to_jsonable(value: Any, depth: int = 0) -> Any:
    # Only used after a fast json.dumps failed (non-str keys, a cycle, NaN-like
    # surprises): rebuild the value from plain types, bottoming out in repr.
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if depth > 20:
        return safe_repr(value)
    if isinstance(value, dict):
        return {str(k): _to_jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_to_jsonable(v, depth + 1) for v in value]
    return safe_repr(value)


# Built once: json.dumps() with options constructs a new encoder per call.
_ENCODER = json.JSONEncoder(default=safe_repr, ensure_ascii=False)


def render_json(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> str:
    """Render *event_dict* as one JSON line; any value JSON can't hold becomes its repr."""
    try:
        return _ENCODER.encode(event_dict)
    except (TypeError, ValueError):
        return _ENCODER.encode(_to_jsonable(event_dict))


class IsoTimestamper:
    """Adds ``timestamp``: UTC, ISO 8601 with microseconds and a ``Z`` suffix.

    The date-and-seconds prefix is formatted once per second and reused, which
    makes this several times cheaper than formatting a datetime per event.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        # One tuple, replaced whole, so a reader never pairs a second with
        # another second's prefix.
        self._cached: tuple[int, str] = (-1, "")

    def __call__(self, logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
        now = self._clock()
        second = int(now)
        micros = int((now - second) * 1_000_000)
        cached_second, prefix = self._cached
        if second != cached_second:
            prefix = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            self._cached = (second, prefix)
        event_dict["timestamp"] = f"{prefix}.{micros:06d}Z"
        return event_dict


def build_pre_chain(*, timestamps: bool = True) -> list[Processor]:
    """Processors that enrich an event before redaction and rendering."""
    chain: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        _add_logger_name,
    ]
    if timestamps:
        chain.append(IsoTimestamper())
    chain += [
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
    ]
    return chain


def build_renderer(fmt: Format) -> Processor:
    """The last processor of the chain: JSON lines or human-readable console text."""
    if fmt == "json":
        return render_json
    return structlog.dev.ConsoleRenderer(colors=False)


def build_post_chain(
    redactor: Redactor, renderer: Processor, hooks: Iterable[Processor] = ()
) -> list[Processor]:
    """Redaction, then *hooks* (e.g. metrics), then the renderer - in that order, always."""
    return [redactor, *hooks, renderer]


def _add_logger_name(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    # stdlib records carry their logger in "_record"; structlog loggers built by
    # logging_lib carry a ``name``; plain structlog loggers have none.
    record = event_dict.get("_record")
    name = record.name if record is not None else getattr(logger, "name", None)
    if name and "logger" not in event_dict:
        event_dict["logger"] = name
    return event_dict


def count_levels(counter: Callable[[str], None]) -> Processor:
    """A processor calling ``counter(level)`` once per event that reaches it."""

    def processor(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
        counter(str(event_dict.get("level", method_name)))
        return event_dict

    return processor
