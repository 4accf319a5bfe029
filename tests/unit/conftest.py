"""Fixtures shared by the unit layers.

Layer-specific fixtures (apps, tokens, sinks) live in the layer's own
conftest; only what more than one layer asks for by name lives here: the
fake ``clock``, a fresh ``metrics_registry``, and a service layer's ``app``,
``client`` and ``make_client``, composed from the ``make_app`` its own
conftest defines (the one dialect of both service layers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import flask
import pytest
from flask.testing import FlaskClient
from prometheus_client import CollectorRegistry

from tests.utils.clock import FakeClock
from tests.utils.flask_client_factory import client_maker


@pytest.fixture
def clock() -> FakeClock:
    """A clock that moves only when the test calls ``advance`` (or ``sleep``)."""
    return FakeClock()


@pytest.fixture
def metrics_registry() -> CollectorRegistry:
    """A registry of the test's own: never the process-wide default."""
    return CollectorRegistry()


@pytest.fixture
def app(make_app: Callable[..., flask.Flask]) -> flask.Flask:
    """The layer's service with its test collaborators."""
    return make_app()


@pytest.fixture
def make_client(make_app: Callable[..., flask.Flask]) -> Iterator[Callable[..., FlaskClient]]:
    """Factory: a test client of ``make_app(**overrides)``."""
    with client_maker(make_app) as make:
        yield make


@pytest.fixture
def client(app: flask.Flask) -> Iterator[FlaskClient]:
    with app.test_client() as test_client:
        yield test_client
