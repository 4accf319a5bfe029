"""Fixtures of the api layer: apps/api through the Flask test client, no sockets.

Composition: ``clock`` (the unit layers' FakeClock) -> ``signing_key`` ->
``token_factory`` -> callers of two tenants (``acme``, ``acme_other_client``,
``globex``); ``temp_db_file`` (where the app creates its SQLite database) ->
``settings``. ``rate_limit_storage`` is an in-memory fixed-window storage that
follows ``clock``; ``make_limiter`` builds a limiter on it.
``make_client(**overrides)`` builds the app with a static key set (never
HTTP), that storage and a private metrics registry, any of which a test may
override by keyword.
"""

from __future__ import annotations

import itertools
from contextlib import ExitStack

import pytest
from prometheus_client import CollectorRegistry

from apps.api.app import create_app
from apps.api.jwks import StaticKeySet
from apps.api.metrics import ApiMetrics
from apps.api.rate_limit import RateLimiter
from apps.api.settings import Settings
from tests.unit.api.support import (
    AUDIENCE,
    ISSUER,
    JWKS_URL,
    Caller,
    ClockedMemoryStorage,
    SigningKey,
    TokenFactory,
)
from tests.utils.flask_client_factory import make_client as client_for


@pytest.fixture(scope="session")
def signing_key():
    return SigningKey.ed25519()


@pytest.fixture(scope="session")
def ec_signing_key():
    return SigningKey.p256()


@pytest.fixture
def key_source(signing_key, ec_signing_key):
    return StaticKeySet([signing_key.verification_key(), ec_signing_key.verification_key()])


@pytest.fixture
def token_factory(signing_key, clock):
    return TokenFactory(signing_key, clock)


@pytest.fixture
def acme(token_factory):
    return Caller("acme", "acme-ci", token_factory)


@pytest.fixture
def acme_other_client(token_factory):
    return Caller("acme", "acme-dashboard", token_factory)


@pytest.fixture
def globex(token_factory):
    return Caller("globex", "globex-ci", token_factory)


@pytest.fixture
def rate_limit_storage(clock):
    return ClockedMemoryStorage(clock)


@pytest.fixture
def registry():
    return CollectorRegistry()


@pytest.fixture
def api_metrics(registry):
    return ApiMetrics.create(registry)


@pytest.fixture
def make_limiter(rate_limit_storage, clock, api_metrics):
    """A RateLimiter on the clocked in-memory storage (``3/minute`` unless told)."""

    def make(limit="3/minute", storage=None):
        return RateLimiter(
            storage or rate_limit_storage, limit, clock=clock.time, metrics=api_metrics
        )

    return make


@pytest.fixture
def temp_db_file(tmp_path):
    """Where the app's SQLite database lives; the app creates it."""
    return tmp_path / "api.sqlite3"


@pytest.fixture
def make_settings(temp_db_file):
    def make(**overrides):
        values = {
            "jwks_url": JWKS_URL,
            "issuer": ISSUER,
            "audience": AUDIENCE,
            "database_path": temp_db_file,
            "rate_limit": "100/minute",
        }
        return Settings(**{**values, **overrides})

    return make


@pytest.fixture
def settings(make_settings):
    return make_settings()


@pytest.fixture
def sequential_ids():
    counter = itertools.count(1)
    return lambda: f"00000000-0000-4000-8000-{next(counter):012d}"


@pytest.fixture
def make_client(settings, key_source, rate_limit_storage, registry, clock, sequential_ids):
    """Build a test client; keyword overrides replace create_app's arguments."""
    with ExitStack() as stack:

        def make(**overrides):
            arguments = {
                "settings": settings,
                "key_source": key_source,
                "rate_limit_storage": rate_limit_storage,
                "registry": registry,
                "clock": clock.time,
                "new_id": sequential_ids,
                **overrides,
            }
            return stack.enter_context(client_for(create_app, **arguments))

        yield make


@pytest.fixture
def client(make_client):
    return make_client()
