"""JWKS, RFC 8414 metadata, health, readiness and metrics endpoints."""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from apps.auth_service.keys import SigningKey
from tests.unit.auth.configuration import ISSUER, TOKEN_ENDPOINT, request_basic_token
from tests.utils.keys import b64url

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k"}


class _DownCache:
    def add_if_absent(self, key, ttl_seconds):
        raise AssertionError("not used")

    def ping(self):
        return False

    def close(self):
        pass


def test_jwks__publishes_active_public_key_only(client, active_signing_key):
    response = client.get("/.well-known/jwks.json")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=300"
    keys = response.get_json()["keys"]
    expected = SigningKey.from_private_key(active_signing_key)
    assert keys == [
        {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": expected.jwk["x"],
            "kid": expected.kid,
            "alg": "EdDSA",
            "use": "sig",
        }
    ]
    assert not PRIVATE_MEMBERS & set(keys[0])
    private = b64url(active_signing_key.private_bytes_raw())
    assert private not in response.get_data(as_text=True)


def test_jwks__retired_key_published_until_its_tokens_expired(make_app, clock, make_key_loader):
    retired_private = ec.generate_private_key(ec.SECP256R1())
    retired_at = datetime.fromtimestamp(clock.time(), UTC)
    retired = SigningKey.from_private_key(retired_private, retired_at)
    app = make_app(key_loader=make_key_loader(retired=(retired,)))

    with app.test_client() as client:
        before = client.get("/.well-known/jwks.json").get_json()["keys"]
        clock.advance(600 + 30 - 1)
        still = client.get("/.well-known/jwks.json").get_json()["keys"]
        clock.advance(1)
        after = client.get("/.well-known/jwks.json").get_json()["keys"]

    assert retired.kid in {k["kid"] for k in before}
    assert retired.kid in {k["kid"] for k in still}
    assert retired.kid not in {k["kid"] for k in after}
    retired_jwk = next(k for k in before if k["kid"] == retired.kid)
    assert retired_jwk["alg"] == "ES256"
    assert retired_jwk["crv"] == "P-256"
    assert not PRIVATE_MEMBERS & set(retired_jwk)
    assert len(after) == 1


def test_jwks__token_kid_is_the_active_key(make_app, make_key_loader):
    active = ed25519.Ed25519PrivateKey.generate()
    app = make_app(key_loader=make_key_loader(active=active))
    with app.test_client() as client:
        token = request_basic_token(client).get_json()["access_token"]
    import jwt

    assert jwt.get_unverified_header(token)["kid"] == SigningKey.from_private_key(active).kid


def test_metadata__describes_the_server(client):
    response = client.get("/.well-known/oauth-authorization-server")

    assert response.status_code == 200
    assert response.get_json() == {
        "issuer": ISSUER,
        "token_endpoint": TOKEN_ENDPOINT,
        "jwks_uri": f"{ISSUER}/.well-known/jwks.json",
        "grant_types_supported": ["client_credentials"],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["Ed25519", "EdDSA", "ES256"],
        "scopes_supported": ["orders:read", "orders:write", "reports:read", "reports:write"],
    }
    assert "max-age" in response.headers["Cache-Control"]


def test_healthz__ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz__ready_with_keys_and_replay_cache(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"keys": "ok", "replay_cache": "ok"}}
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz__same_shape_as_the_api(client):
    response = client.get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz__503_when_replay_cache_unreachable(make_app):
    app = make_app(replay_cache=_DownCache())
    with app.test_client() as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "unavailable",
        "checks": {"keys": "ok", "replay_cache": "failing"},
    }


def test_metrics__token_counters_on_the_injected_registry(client, metrics_registry):
    request_basic_token(client)
    assert (
        metrics_registry.get_sample_value(
            "auth_tokens_issued_total", {"auth_method": "client_secret_basic"}
        )
        == 1
    )


def test_responses__carry_a_request_id(client):
    response = client.get("/healthz", headers={"X-Request-ID": "req-123"})
    assert response.headers["X-Request-ID"] == "req-123"
