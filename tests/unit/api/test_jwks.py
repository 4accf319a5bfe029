"""JWKS parsing and the cached, rate-limited JWKS fetcher (HTTP faked at the transport)."""

from __future__ import annotations

import httpx
import pytest
from structlog.testing import capture_logs

from apps.api.jwks import JwksError, JwksKeySet, StaticKeySet, parse_jwk, parse_jwks
from tests.unit.api.tokens import JWKS_URL, SigningKey
from tests.utils.logging import configured_logging


class FakeJwksServer:
    """Serves a JWKS document (or an error) and records each fetch."""

    def __init__(self, *keys):
        self.keys = list(keys)
        self.requests: list[httpx.Request] = []
        self.status = 200
        self.body = None
        self.error = None

    @property
    def fetches(self) -> int:
        return len(self.requests)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert str(request.url) == JWKS_URL
        if self.error is not None:
            raise self.error
        if self.body is not None:
            return httpx.Response(self.status, content=self.body)
        return httpx.Response(self.status, json={"keys": [k.public_jwk for k in self.keys]})


@pytest.fixture
def jwks_server(signing_key):
    return FakeJwksServer(signing_key)


@pytest.fixture
def make_key_set(jwks_server, clock, api_metrics):
    clients = []

    def make(**overrides):
        http = httpx.Client(transport=httpx.MockTransport(jwks_server.handle))
        clients.append(http)
        options = {"cache_ttl": 300, "refetch_cooldown": 30, "timeout": 2, "metrics": api_metrics}
        return JwksKeySet(JWKS_URL, http, clock=clock.time, **{**options, **overrides})

    yield make
    for http in clients:
        http.close()


def fetches(metrics_registry, outcome):
    value = metrics_registry.get_sample_value("api_jwks_fetches_total", {"outcome": outcome})
    return value or 0


class TestParseJwks:
    def test_parse_jwks__supported_keys__bound_to_their_algorithm(
        self, signing_key, ec_signing_key
    ):
        """Ed25519 keys verify EdDSA and P-256 keys ES256."""
        keys = parse_jwks({"keys": [signing_key.public_jwk, ec_signing_key.public_jwk]})
        assert {kid: key.algorithm for kid, key in keys.items()} == {
            signing_key.kid: "EdDSA",
            ec_signing_key.kid: "ES256",
        }

    def test_parse_jwk__ed25519_alg_member__accepted(self, signing_key):
        """A JWKS may already label an Ed25519 key with RFC 9864's identifier."""
        key = parse_jwk({**signing_key.public_jwk, "alg": "Ed25519"})
        assert key is not None
        assert key.kid == signing_key.kid

    @pytest.mark.parametrize(
        "change",
        [
            {"kid": None},
            {"kid": ""},
            {"kty": "RSA"},
            {"crv": "Ed448"},
            {"use": "enc"},
            {"alg": "ES256"},
            {"x": "not-base64!"},
        ],
    )
    def test_parse_jwk__unusable_entry__skipped(self, signing_key, change):
        """Keys without a kid, of other kinds, for encryption or malformed are ignored."""
        jwk = {k: v for k, v in {**signing_key.public_jwk, **change}.items() if v is not None}
        assert parse_jwk(jwk) is None

    def test_parse_jwk__symmetric_key__skipped(self):
        """An ``oct`` (HMAC) key is never a verification key."""
        assert parse_jwk({"kty": "oct", "k": "c2VjcmV0", "kid": "h", "alg": "HS256"}) is None

    def test_parse_jwk__p384_key__skipped(self):
        """Only P-256 EC keys are accepted (ES256)."""
        from cryptography.hazmat.primitives.asymmetric import ec
        from jwt.algorithms import ECAlgorithm

        jwk = ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP384R1()).public_key(), as_dict=True)
        assert parse_jwk({**jwk, "kid": "p384"}) is None

    def test_parse_jwk__private_member__only_public_key_kept(self):
        """A JWK that carries ``d`` still yields just the public key."""
        from cryptography.hazmat.primitives.asymmetric.ed25519 import (
            Ed25519PrivateKey,
            Ed25519PublicKey,
        )
        from jwt.algorithms import OKPAlgorithm

        jwk = OKPAlgorithm.to_jwk(Ed25519PrivateKey.generate(), as_dict=True)
        key = parse_jwk({**jwk, "kid": "leaky"})
        assert key is not None
        assert isinstance(key.key, Ed25519PublicKey)

    @pytest.mark.parametrize("document", [[], {"keys": {}}, {"nokeys": []}, "text"])
    def test_parse_jwks__not_a_key_set__error(self, document):
        """A document without a ``keys`` list is an error, not an empty key set."""
        with pytest.raises(JwksError, match="'keys' list"):
            parse_jwks(document)

    def test_parse_jwks__non_object_entries__skipped(self, signing_key):
        """Entries that are not objects are skipped."""
        assert list(parse_jwks({"keys": ["x", 1, signing_key.public_jwk]})) == [signing_key.kid]

    def test_static_key_set__from_jwks(self, signing_key):
        """A static key set can be built from a JWKS document."""
        keys = StaticKeySet.from_jwks({"keys": [signing_key.public_jwk]})
        assert keys.get_key(signing_key.kid).kid == signing_key.kid
        assert keys.get_key("other") is None
        assert keys.ensure_loaded() is True


class TestJwksKeySet:
    def test_get_key__first_use__fetches_once_and_caches(
        self, make_key_set, jwks_server, signing_key, metrics_registry
    ):
        """Keys are fetched on first use, then served from the cache."""
        keys = make_key_set()
        assert jwks_server.fetches == 0
        assert keys.get_key(signing_key.kid).kid == signing_key.kid
        assert keys.get_key(signing_key.kid).kid == signing_key.kid
        assert jwks_server.fetches == 1
        assert fetches(metrics_registry, "ok") == 1

    def test_get_key__after_ttl__refetches(self, make_key_set, jwks_server, signing_key, clock):
        """Once the TTL has passed the document is fetched again."""
        keys = make_key_set()
        keys.get_key(signing_key.kid)
        clock.advance(299)
        keys.get_key(signing_key.kid)
        assert jwks_server.fetches == 1
        clock.advance(1)
        keys.get_key(signing_key.kid)
        assert jwks_server.fetches == 2

    def test_get_key__rotated_key__picked_up_without_restart(
        self, make_key_set, jwks_server, signing_key, clock
    ):
        """A new kid triggers a refetch that finds the rotated key."""
        keys = make_key_set()
        keys.get_key(signing_key.kid)
        rotated = SigningKey.ed25519()
        jwks_server.keys.append(rotated)
        clock.advance(30)
        assert keys.get_key(rotated.kid).kid == rotated.kid
        assert jwks_server.fetches == 2

    def test_get_key__unknown_kids__one_refetch_per_cooldown(
        self, make_key_set, jwks_server, signing_key, clock
    ):
        """A flood of unknown kids causes at most one fetch per cool-down window."""
        keys = make_key_set()
        keys.get_key(signing_key.kid)
        clock.advance(30)
        for attempt in range(20):
            assert keys.get_key(f"made-up-{attempt}") is None
        assert jwks_server.fetches == 2
        clock.advance(29)
        assert keys.get_key("made-up-again") is None
        assert jwks_server.fetches == 2
        clock.advance(1)
        assert keys.get_key("made-up-later") is None
        assert jwks_server.fetches == 3

    @pytest.mark.parametrize(
        "failure",
        [
            {"status": 503},
            {"body": b"<html>"},
            {"body": b'{"keys": 1}'},
            {"error": httpx.ConnectTimeout("timed out")},
        ],
    )
    def test_refresh__failure__keeps_stale_keys_logs_and_counts(
        self, make_key_set, jwks_server, signing_key, clock, metrics_registry, failure
    ):
        """A failed refresh keeps the keys fetched before (availability) and is reported."""
        keys = make_key_set()
        keys.get_key(signing_key.kid)
        clock.advance(300)
        for name, value in failure.items():
            setattr(jwks_server, name, value)
        with capture_logs() as events:
            assert keys.get_key(signing_key.kid).kid == signing_key.kid
        assert fetches(metrics_registry, "error") == 1
        assert [e["event"] for e in events] == ["jwks.fetch_failed"]
        assert events[0]["cached_keys"] == 1

    def test_ensure_loaded__unreachable_with_no_keys__false_then_retries_after_cooldown(
        self, make_key_set, jwks_server, clock
    ):
        """With no keys at all, readiness is false; retries respect the cool-down."""
        keys = make_key_set()
        jwks_server.status = 500
        assert keys.ensure_loaded() is False
        assert keys.ensure_loaded() is False
        assert jwks_server.fetches == 1
        jwks_server.status = 200
        clock.advance(30)
        assert keys.ensure_loaded() is True
        assert jwks_server.fetches == 2

    def test_refresh__every_phase_bounded_by_the_configured_timeout(
        self, make_key_set, jwks_server, signing_key
    ):
        """Connect, write, read and pool wait each give up after ``timeout`` seconds.

        The fetch runs while the key set's lock is held, so without a bound a hung
        token service would stall every request of the worker. The injected client's
        own default (5 s here) must not be what applies.
        """
        keys = make_key_set(timeout=2)
        keys.get_key(signing_key.kid)
        (request,) = jwks_server.requests
        assert request.extensions["timeout"] == {"connect": 2, "read": 2, "write": 2, "pool": 2}
        assert request.headers["Accept"] == "application/json"

    def test_refresh__outcomes_logged_on_the_jwks_logger(
        self, make_key_set, jwks_server, signing_key, clock
    ):
        """What the on-call reads: each fetch and failure, its url, key counts and error."""
        keys = make_key_set()
        with configured_logging() as logging:
            keys.get_key(signing_key.kid)
            clock.advance(300)
            jwks_server.body = b'{"keys": 1}'
            keys.get_key(signing_key.kid)
            events = [
                {k: v for k, v in e.items() if k != "timestamp"}
                for e in logging.events()
                if e["event"].startswith("jwks.")
            ]
        assert events == [
            {
                "event": "jwks.fetched",
                "logger": "apps.api.jwks",
                "level": "info",
                "url": JWKS_URL,
                "keys": 1,
            },
            {
                "event": "jwks.fetch_failed",
                "logger": "apps.api.jwks",
                "level": "warning",
                "url": JWKS_URL,
                "error_type": "JwksError",
                "error": "a JWKS must be a JSON object with a 'keys' list",
                "cached_keys": 1,
            },
        ]

    def test_get_key__unreachable_with_no_keys__none(self, make_key_set, jwks_server, signing_key):
        """Auth fails closed: no keys means no token is accepted."""
        keys = make_key_set()
        jwks_server.error = httpx.ConnectError("refused")
        assert keys.get_key(signing_key.kid) is None

    def test_key_set__default_metrics__private_registry(self, jwks_server, clock, signing_key):
        """Without metrics the key set still counts, on a registry of its own."""
        with httpx.Client(transport=httpx.MockTransport(jwks_server.handle)) as http:
            keys = JwksKeySet(
                JWKS_URL, http, clock=clock.time, cache_ttl=1, refetch_cooldown=1, timeout=1
            )
            assert keys.ensure_loaded() is True
