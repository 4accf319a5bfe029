"""Fixtures of the logging layer: a fresh registry, in-memory sinks, dispatcher harnesses.

Every test gets its own CollectorRegistry (tests/unit/conftest.py's
``metrics_registry``, never the global one) and leaves
logging_lib unconfigured and the structlog context empty, whatever it did.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from logging_lib import Dispatcher, LoggingMetrics, MemorySink
from logging_lib.sinks import Sink
from logging_lib.testing import reset
from tests.utils.logging import ConfiguredLogging, configured_logging


@pytest.fixture(autouse=True)
def _unconfigured_logging() -> Iterator[None]:
    reset()
    yield
    reset()


@pytest.fixture
def metrics(metrics_registry: CollectorRegistry) -> LoggingMetrics:
    return LoggingMetrics(metrics_registry)


@pytest.fixture
def memory_sink() -> MemorySink:
    return MemorySink()


@pytest.fixture
def make_dispatcher(metrics: LoggingMetrics) -> Iterator[Callable[..., Dispatcher]]:
    """Factory: ``make_dispatcher(sinks, **overrides)``; every dispatcher is closed at teardown."""
    made: list[Dispatcher] = []

    def make(sinks: Sequence[Sink], **overrides: Any) -> Dispatcher:
        dispatcher = Dispatcher(sinks, metrics=metrics, **overrides)
        made.append(dispatcher)
        return dispatcher

    yield make
    for dispatcher in made:
        dispatcher.close(timeout=5)


@pytest.fixture
def sync_dispatcher(
    make_dispatcher: Callable[..., Dispatcher], memory_sink: MemorySink
) -> Dispatcher:
    """A synchronous dispatcher delivering to ``memory_sink``: no thread, same delivery code."""
    return make_dispatcher([memory_sink], synchronous=True)


@pytest.fixture
def make_logging(metrics_registry: CollectorRegistry) -> Iterator[Callable[..., ConfiguredLogging]]:
    """Factory: ``make_logging(**config)`` configures the real pipeline into a memory sink."""
    with ExitStack() as stack:
        yield lambda **config: stack.enter_context(configured_logging(metrics_registry, **config))


@pytest.fixture
def logging_setup(make_logging: Callable[..., ConfiguredLogging]) -> ConfiguredLogging:
    """logging_lib configured synchronously, JSON lines into a memory sink, at DEBUG."""
    return make_logging(level="DEBUG")
