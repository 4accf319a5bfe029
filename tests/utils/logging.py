"""Test helpers for code that logs through logging_lib.

Built on :mod:`logging_lib.testing`: capture events as dicts, configure the
real pipeline into an in-memory sink, read metric values, and assert on events
with a readable failure message.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry

import logging_lib
from logging_lib.testing import MemorySink, capture_events
from logging_lib.testing import reset as reset_logging

__all__ = [
    "ConfiguredLogging",
    "assert_event",
    "assert_no_event",
    "assert_no_secret",
    "captured_events",
    "configured_logging",
    "find_events",
    "metric_value",
]

_MISSING = object()


def find_events(events: Iterable[Mapping[str, Any]], **fields: Any) -> list[Mapping[str, Any]]:
    """The events whose values equal every one of *fields* (``event=`` included)."""
    return [
        event
        for event in events
        if all(event.get(key, _MISSING) == value for key, value in fields.items())
    ]


def assert_event(events: Iterable[Mapping[str, Any]], **fields: Any) -> Mapping[str, Any]:
    """Assert that exactly one event matches *fields*, and return it.

    ``assert_event(events, event="http.request", status=200)``
    """
    seen = list(events)
    matches = find_events(seen, **fields)
    if len(matches) != 1:
        listing = "\n".join(f"  {dict(event)!r}" for event in seen) or "  (no events)"
        raise AssertionError(
            f"expected exactly one event matching {fields!r}, found {len(matches)}; "
            f"events:\n{listing}"
        )
    return matches[0]


def assert_no_event(events: Iterable[Mapping[str, Any]], **fields: Any) -> None:
    """Assert that no event matches *fields*."""
    matches = find_events(events, **fields)
    if matches:
        raise AssertionError(f"expected no event matching {fields!r}, found {matches!r}")


def assert_no_secret(output: str | Iterable[str], secrets: Iterable[str]) -> None:
    """Assert that none of *secrets* occurs in *output* (a text or some lines)."""
    text = output if isinstance(output, str) else "\n".join(output)
    leaked = [secret for secret in secrets if secret in text]
    if leaked:
        raise AssertionError(f"secret(s) found in log output: {leaked!r}")


def metric_value(registry: CollectorRegistry, name: str, **labels: str) -> float:
    """The current value of sample *name* with *labels*; 0.0 if it was never recorded."""
    value = registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


@contextmanager
def captured_events() -> Iterator[list[dict[str, Any]]]:
    """``capture_events()`` that also resets logging and bound context on exit.

    Made to be the body of a yield fixture:
    ``with captured_events() as events: yield events``.
    """
    try:
        with capture_events() as events:
            yield events
    finally:
        reset_logging()


@dataclass(frozen=True)
class ConfiguredLogging:
    """The real pipeline, synchronous, writing JSON lines into ``sink``."""

    runtime: logging_lib.LoggingRuntime
    sink: MemorySink
    registry: CollectorRegistry

    def events(self) -> list[dict[str, Any]]:
        """Every event delivered so far, parsed."""
        self.runtime.flush()
        return self.sink.events()


@contextmanager
def configured_logging(
    registry: CollectorRegistry | None = None, **config: Any
) -> Iterator[ConfiguredLogging]:
    """Configure logging_lib into a memory sink (synchronous unless told otherwise); reset after."""
    registry = registry if registry is not None else CollectorRegistry()
    sink = MemorySink()
    options: dict[str, Any] = {"synchronous": True, "sinks": ("memory",), **config}
    runtime = logging_lib.configure(
        logging_lib.LoggingConfig(**options), sinks=[sink], registry=registry
    )
    try:
        yield ConfiguredLogging(runtime, sink, registry)
    finally:
        reset_logging()
