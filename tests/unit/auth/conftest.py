"""Fixtures of the auth layer: the token service from a generated configuration.

``config_data`` (a valid configuration, its key file written with mode 600)
-> ``config_path`` (as TOML) and ``settings``; ``make_settings(**changes)``
for other settings. ``make_app(**overrides)``: the service with the test
collaborators (the unit layers' ``clock``, ``replay_cache`` and
``throttle_storage`` in memory on it, ``metrics_registry``), any of which a
test replaces by keyword; tests/unit/conftest.py composes ``app`` ->
``client`` and ``make_client(**overrides)`` from it. Argon2 costs are the
cheapest; the benchmark measures the production ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import argon2
import flask
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from flask.testing import FlaskClient
from prometheus_client import CollectorRegistry

from apps.auth_service.app import create_app
from apps.auth_service.keys import KeyLoader, KeySet, SigningKey
from apps.auth_service.replay_cache import MemoryReplayCache
from apps.auth_service.settings import Settings
from logging_lib.testing import capture_events
from tests.unit.auth.configuration import (
    API_AUDIENCE,
    BASIC_CLIENT,
    BASIC_SECRET,
    CHEAP_ARGON2,
    ES256_CLIENT,
    ES256_KID,
    ISSUER,
    JWT_CLIENT,
    TOKEN_ENDPOINT,
    ec_public_jwk,
    to_toml,
)
from tests.utils.client_assertion import assertion_claims
from tests.utils.clock import FakeClock
from tests.utils.flask_client_factory import app_maker
from tests.utils.keys import pem_public, write_private_key
from tests.utils.limits_storage import ClockedMemoryStorage


@pytest.fixture(scope="session")
def basic_secret_hash() -> str:
    """An argon2id hash of BASIC_SECRET at the cheapest costs."""
    return argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(BASIC_SECRET)


@pytest.fixture
def active_signing_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


@pytest.fixture
def jwt_client_key() -> ed25519.Ed25519PrivateKey:
    """The private key of JWT_CLIENT (registered as a PEM public key)."""
    return ed25519.Ed25519PrivateKey.generate()


@pytest.fixture
def es256_client_key() -> ec.EllipticCurvePrivateKey:
    """The private key of ES256_CLIENT (registered in a JWKS with kid ES256_KID)."""
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def config_data(
    tmp_path: Path,
    active_signing_key: ed25519.Ed25519PrivateKey,
    jwt_client_key: ed25519.Ed25519PrivateKey,
    es256_client_key: ec.EllipticCurvePrivateKey,
    basic_secret_hash: str,
) -> dict[str, Any]:
    """A valid configuration mapping; its key file exists with mode 600."""
    key_dir = tmp_path / "keys"
    key_dir.mkdir()
    write_private_key(key_dir / "active.pem", active_signing_key)
    return {
        "issuer": ISSUER,
        "token_endpoint": TOKEN_ENDPOINT,
        "access_token_audience": API_AUDIENCE,
        "token_lifetime_seconds": 600,
        "keys": {"active": "keys/active.pem"},
        "argon2": dict(CHEAP_ARGON2),
        "clients": [
            {
                "client_id": BASIC_CLIENT,
                "tenant": "acme",
                "allowed_scopes": ["orders:read", "orders:write"],
                "auth_method": "client_secret_basic",
                "secret_hash": basic_secret_hash,
            },
            {
                "client_id": JWT_CLIENT,
                "tenant": "globex",
                "allowed_scopes": ["reports:read"],
                "auth_method": "private_key_jwt",
                "public_key_pem": pem_public(jwt_client_key),
            },
            {
                "client_id": ES256_CLIENT,
                "tenant": "globex",
                "allowed_scopes": ["reports:read", "reports:write"],
                "auth_method": "private_key_jwt",
                "jwks": json.dumps({"keys": [ec_public_jwk(es256_client_key, kid=ES256_KID)]}),
            },
        ],
    }


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """Write a config mapping as TOML next to the generated keys; return its path."""

    def write(data: dict[str, Any], name: str = "auth.toml") -> Path:
        path = tmp_path / name
        path.write_text(to_toml(data), encoding="utf-8")
        return path

    return write


@pytest.fixture
def config_path(config_data: dict[str, Any], write_config: Callable[..., Path]) -> Path:
    return write_config(config_data)


@pytest.fixture
def make_settings(config_data: dict[str, Any], tmp_path: Path) -> Callable[..., Settings]:
    """Factory: the test configuration with top-level fields changed, validated."""

    def make(**changes: Any) -> Settings:
        return Settings.from_mapping({**config_data, **changes}, base_dir=tmp_path)

    return make


@pytest.fixture
def settings(config_path: Path) -> Settings:
    """The test configuration, read from its file."""
    return Settings.from_file(config_path)


@pytest.fixture
def replay_cache(clock: FakeClock) -> MemoryReplayCache:
    """The in-memory replay cache on the test clock."""
    return MemoryReplayCache(max_entries=1_000, clock=clock.time)


@pytest.fixture
def throttle_storage(clock: FakeClock) -> ClockedMemoryStorage:
    """The throttle's counters, in memory, expiring on the test clock."""
    return ClockedMemoryStorage(clock)


@pytest.fixture
def make_key_loader() -> Callable[..., KeyLoader]:
    """Factory: a key loader that reads no file, for a key set of in-memory keys."""

    def make(
        active: ed25519.Ed25519PrivateKey | None = None, retired: tuple[SigningKey, ...] = ()
    ) -> KeyLoader:
        key_set = KeySet(
            active=SigningKey.from_private_key(active or ed25519.Ed25519PrivateKey.generate()),
            retired=retired,
        )
        return lambda _settings: key_set

    return make


@pytest.fixture
def make_app(
    settings: Settings,
    clock: FakeClock,
    replay_cache: MemoryReplayCache,
    throttle_storage: ClockedMemoryStorage,
    metrics_registry: CollectorRegistry,
) -> Iterator[Callable[..., flask.Flask]]:
    """Factory: the token service; keywords replace ``create_app``'s arguments."""
    with app_maker(
        create_app,
        settings=settings,
        clock=clock.time,
        replay_cache=replay_cache,
        throttle_storage=throttle_storage,
        registry=metrics_registry,
    ) as make:
        yield make


@pytest.fixture
def make_assertion(
    clock: FakeClock, jwt_client_key: ed25519.Ed25519PrivateKey
) -> Callable[..., str]:
    """Factory: a client assertion for JWT_CLIENT; keywords override claims.

    ``key``/``algorithm``/``headers`` change the signing; a claim set to None is dropped.
    """

    def make(
        *,
        key: Any = None,
        algorithm: str = "EdDSA",
        headers: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        payload = {**assertion_claims(JWT_CLIENT, TOKEN_ENDPOINT, int(clock.time())), **claims}
        payload = {k: v for k, v in payload.items() if v is not None}
        # Sign raw JSON so tests can send claims of the wrong type.
        raw = json.dumps(payload).encode()
        return jwt.api_jws.encode(raw, key or jwt_client_key, algorithm=algorithm, headers=headers)

    return make


@pytest.fixture
def make_es256_assertion(
    make_assertion: Callable[..., str], es256_client_key: ec.EllipticCurvePrivateKey
) -> Callable[..., str]:
    """Factory: a client assertion of ES256_CLIENT, signed with its P-256 key under
    ES256_KID; keywords as ``make_assertion``'s."""

    def make(**overrides: Any) -> str:
        es256 = {"key": es256_client_key, "algorithm": "ES256", "headers": {"kid": ES256_KID}}
        return make_assertion(**{**es256, "iss": ES256_CLIENT, "sub": ES256_CLIENT, **overrides})

    return make


@pytest.fixture
def make_http_client() -> Iterator[Callable[..., httpx.Client]]:
    """Factory: an ``httpx.Client`` whose requests go to ``handler`` (a MockTransport)."""
    clients: list[httpx.Client] = []

    def make(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.Client:
        http = httpx.Client(transport=httpx.MockTransport(handler))
        clients.append(http)
        return http

    yield make
    for http in clients:
        http.close()


@pytest.fixture
def events() -> Iterator[list[dict[str, Any]]]:
    """Every event emitted during the test, as dicts, enriched with context variables.

    Redaction is off, so tests prove the service itself keeps secrets out of events.
    """
    with capture_events(redact=False) as captured:
        yield captured


@pytest.fixture
def jwks_verifier(client: FlaskClient) -> Callable[[str], dict[str, Any]]:
    """Verify an access token against the service's own JWKS and return its claims."""

    def verify(token: str) -> dict[str, Any]:
        header = jwt.get_unverified_header(token)
        keys = {k["kid"]: k for k in client.get("/.well-known/jwks.json").get_json()["keys"]}
        jwk = jwt.PyJWK(keys[header["kid"]])
        return jwt.decode(
            token,
            jwk.key,
            algorithms=[header["alg"]],
            audience=API_AUDIENCE,
            issuer=ISSUER,
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
        )

    return verify
