"""Fixtures of the logging layer: a fresh registry, in-memory sinks, dispatcher harnesses.

Every test gets its own CollectorRegistry (never the global one) and leaves
logging_lib unconfigured and the structlog context empty, whatever it did.
"""

from contextlib import ExitStack

import pytest
from prometheus_client import CollectorRegistry

from logging_lib import Dispatcher, LoggingMetrics, MemorySink
from logging_lib.testing import reset
from tests.utils.logging import configured_logging


@pytest.fixture(autouse=True)
def _unconfigured_logging():
    reset()
    yield
    reset()


@pytest.fixture
def registry():
    return CollectorRegistry()


@pytest.fixture
def metrics(registry):
    return LoggingMetrics(registry)


@pytest.fixture
def memory_sink():
    return MemorySink()


@pytest.fixture
def make_dispatcher(metrics):
    """Factory: ``make_dispatcher(sinks, **overrides)``; every dispatcher is closed at teardown."""
    made = []

    def make(sinks, **overrides):
        dispatcher = Dispatcher(sinks, metrics=metrics, **overrides)
        made.append(dispatcher)
        return dispatcher

    yield make
    for dispatcher in made:
        dispatcher.close(timeout=5)


@pytest.fixture
def sync_dispatcher(make_dispatcher, memory_sink):
    """A synchronous dispatcher delivering to ``memory_sink``: no thread, same delivery code."""
    return make_dispatcher([memory_sink], synchronous=True)


@pytest.fixture
def make_logging(registry):
    """Factory: ``make_logging(**config)`` configures the real pipeline into a memory sink."""
    with ExitStack() as stack:
        yield lambda **config: stack.enter_context(configured_logging(registry, **config))


@pytest.fixture
def logging_setup(make_logging):
    """logging_lib configured synchronously, JSON lines into a memory sink, at DEBUG."""
    return make_logging(level="DEBUG")
