"""Fixtures of the api layer: apps/api through the Flask test client, no sockets.

``database_path`` -> ``settings``; ``make_settings(**changes)`` for other
settings. ``make_app(**overrides)``: the API with the test collaborators (a
static key set, never HTTP; ``rate_limit_storage`` in memory on the unit
layers' ``clock``; ``metrics_registry``; ``sequential_ids``), any of which a
test replaces by keyword; tests/unit/conftest.py composes ``app`` ->
``client`` and ``make_client(**overrides)`` from it. Callers of two tenants
(``acme``, ``acme_other_client``, ``globex``) carry tokens of ``token_factory``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import flask
import pytest
from prometheus_client import CollectorRegistry

from apps.api.app import create_app
from apps.api.jwks import StaticKeySet
from apps.api.metrics import ApiMetrics
from apps.api.rate_limit import RateLimiter
from apps.api.settings import Settings
from apps.api.storage.projects import IdFactory
from tests.unit.api.tokens import AUDIENCE, ISSUER, JWKS_URL, Caller, SigningKey, TokenFactory
from tests.utils.clock import FakeClock
from tests.utils.flask_client_factory import app_maker
from tests.utils.limits_storage import ClockedMemoryStorage


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    return SigningKey.ed25519()


@pytest.fixture(scope="session")
def ec_signing_key() -> SigningKey:
    return SigningKey.p256()


@pytest.fixture
def key_source(signing_key: SigningKey, ec_signing_key: SigningKey) -> StaticKeySet:
    return StaticKeySet([signing_key.verification_key(), ec_signing_key.verification_key()])


@pytest.fixture
def token_factory(signing_key: SigningKey, clock: FakeClock) -> TokenFactory:
    return TokenFactory(signing_key, clock)


@pytest.fixture
def acme(token_factory: TokenFactory) -> Caller:
    return Caller("acme", "acme-ci", token_factory)


@pytest.fixture
def acme_other_client(token_factory: TokenFactory) -> Caller:
    return Caller("acme", "acme-dashboard", token_factory)


@pytest.fixture
def globex(token_factory: TokenFactory) -> Caller:
    return Caller("globex", "globex-ci", token_factory)


@pytest.fixture
def rate_limit_storage(clock: FakeClock) -> ClockedMemoryStorage:
    return ClockedMemoryStorage(clock)


@pytest.fixture
def api_metrics(metrics_registry: CollectorRegistry) -> ApiMetrics:
    return ApiMetrics.create(metrics_registry)


@pytest.fixture
def make_limiter(
    rate_limit_storage: ClockedMemoryStorage, clock: FakeClock, api_metrics: ApiMetrics
) -> Callable[..., RateLimiter]:
    """Factory: a RateLimiter on the clocked in-memory storage (``3/minute`` unless told)."""

    def make(limit: str = "3/minute", storage: Any = None) -> RateLimiter:
        return RateLimiter(
            storage or rate_limit_storage, limit, clock=clock.time, metrics=api_metrics
        )

    return make


@pytest.fixture
def database_path(tmp_path: Path) -> Path:
    """Where the app's SQLite database lives; the app creates it."""
    return tmp_path / "api.sqlite3"


@pytest.fixture
def make_settings(database_path: Path) -> Callable[..., Settings]:
    """Factory: the test settings with fields changed."""

    def make(**changes: Any) -> Settings:
        values = {
            "jwks_url": JWKS_URL,
            "issuer": ISSUER,
            "audience": AUDIENCE,
            "database_path": database_path,
            "rate_limit": "100/minute",
        }
        return Settings(**{**values, **changes})

    return make


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
def sequential_ids() -> IdFactory:
    counter = itertools.count(1)
    return lambda: f"00000000-0000-4000-8000-{next(counter):012d}"


@pytest.fixture
def make_app(
    settings: Settings,
    key_source: StaticKeySet,
    rate_limit_storage: ClockedMemoryStorage,
    metrics_registry: CollectorRegistry,
    clock: FakeClock,
    sequential_ids: IdFactory,
) -> Iterator[Callable[..., flask.Flask]]:
    """Factory: the API; keywords replace ``create_app``'s arguments."""
    with app_maker(
        create_app,
        settings=settings,
        key_source=key_source,
        rate_limit_storage=rate_limit_storage,
        registry=metrics_registry,
        clock=clock.time,
        new_id=sequential_ids,
    ) as make:
        yield make
