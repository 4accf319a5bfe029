"""POST /oauth/token with client_secret_basic."""

from __future__ import annotations

import base64
import re

import argon2
import httpx
import jwt
import pytest

from apps.auth_service.client_auth import MAX_AUTHORIZATION_CHARS
from tests.unit.auth.configuration import (
    API_AUDIENCE,
    BASIC_CLIENT,
    BASIC_SECRET,
    ISSUER,
    JWT_CLIENT,
    basic_auth,
    request_basic_token,
)
from tests.utils.logging import assert_event, configured_logging, metric_value

FORM = {"grant_type": "client_credentials"}
FAILED = {"error": "invalid_client", "error_description": "client authentication failed"}


def test_token__basic_client_gets_rfc9068_access_token(client, clock, jwks_verifier):
    response = request_basic_token(client)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 600
    assert body["scope"] == "orders:read orders:write"
    header = jwt.get_unverified_header(body["access_token"])
    assert header["typ"] == "at+jwt"
    assert header["alg"] == "EdDSA"
    claims = jwks_verifier(body["access_token"])
    now = int(clock.time())
    assert claims == {
        "iss": ISSUER,
        "sub": BASIC_CLIENT,
        "aud": API_AUDIENCE,
        "exp": now + 600,
        "iat": now,
        "nbf": now,
        "jti": claims["jti"],
        "client_id": BASIC_CLIENT,
        "scope": "orders:read orders:write",
        "tenant": "acme",
    }
    # 128 random bits, base64url-encoded
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", claims["jti"])


def test_token__each_token_has_a_fresh_jti(client):
    tokens = [request_basic_token(client).get_json() for _ in range(2)]
    jtis = {
        jwt.decode(t["access_token"], options={"verify_signature": False})["jti"] for t in tokens
    }
    assert len(jtis) == 2


def test_token__requested_subset_of_scopes_is_granted(client):
    response = request_basic_token(client, scope="orders:read")
    assert response.status_code == 200
    assert response.get_json()["scope"] == "orders:read"


def test_token__repeated_scope_tokens_are_granted_once(client):
    response = request_basic_token(client, scope="orders:write orders:write")
    assert response.get_json()["scope"] == "orders:write"


def test_token__form_urlencoded_credentials_are_decoded(make_app, config_data, make_settings):
    """RFC 6749 2.3.1: id and secret are form-urlencoded before base64."""
    config_data["clients"][0]["secret_hash"] = argon2.PasswordHasher(
        time_cost=1, memory_cost=8, parallelism=1
    ).hash("p@ss word:x")
    app = make_app(settings=make_settings())
    raw = base64.b64encode(f"{BASIC_CLIENT}:p%40ss+word%3Ax".encode()).decode()
    with app.test_client() as client:
        response = client.post("/oauth/token", data=FORM, headers={"Authorization": f"Basic {raw}"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("client_id", "secret", "reason"),
    [
        (BASIC_CLIENT, "wrong secret", "wrong_secret"),
        (BASIC_CLIENT, "", "wrong_secret"),
        ("nobody", BASIC_SECRET, "unknown_client"),
        (JWT_CLIENT, BASIC_SECRET, "wrong_auth_method"),
    ],
)
def test_token__bad_basic_credentials_are_invalid_client(
    client, metrics_registry, events, client_id, secret, reason
):
    response = client.post("/oauth/token", data=FORM, headers=basic_auth(client_id, secret))

    assert response.status_code == 401
    # One description for every failed check: the response never tells which one failed.
    assert response.get_json() == FAILED
    assert response.headers["WWW-Authenticate"] == 'Basic realm="token", error="invalid_client"'
    assert response.headers["Cache-Control"] == "no-store"
    assert (
        metric_value(metrics_registry, "auth_client_authentication_failures_total", reason=reason)
        == 1
    )
    failures = [e for e in events if e["event"] == "auth.client_authentication_failed"]
    assert [(e["reason"], e["client_id"]) for e in failures] == [(reason, client_id)]
    assert not any(BASIC_SECRET in repr(e) for e in events)


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer abc",
        "Basic",
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b":secret-without-id").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
        "Basic " + "A" * 5000,
        # the credentials are right, but under another scheme
        "Bearer " + base64.b64encode(f"{BASIC_CLIENT}:{BASIC_SECRET}".encode()).decode(),
        # characters outside the base64 alphabet are refused, not skipped
        "Basic !" + base64.b64encode(f"{BASIC_CLIENT}:{BASIC_SECRET}".encode()).decode(),
    ],
)
def test_token__malformed_authorization_header_is_invalid_client(
    client, metrics_registry, authorization
):
    response = client.post("/oauth/token", data=FORM, headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.get_json() == FAILED
    failures = "auth_client_authentication_failures_total"
    assert metric_value(metrics_registry, failures, reason="malformed_credentials") == 1


def test_token__no_client_authentication_is_invalid_client(client, metrics_registry):
    response = client.post("/oauth/token", data=FORM)
    assert response.status_code == 401
    assert response.get_json() == {
        "error": "invalid_client",
        "error_description": "client authentication is required",
    }
    failures = "auth_client_authentication_failures_total"
    assert metric_value(metrics_registry, failures, reason="missing_credentials") == 1


@pytest.fixture
def make_secret_app(make_app, config_data, make_settings):
    """The service with BASIC_CLIENT's secret replaced by ``secret``."""

    def make(secret):
        hasher = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        config_data["clients"][0]["secret_hash"] = hasher.hash(secret)
        return make_app(settings=make_settings())

    return make


def test_token__raw_colon_in_the_secret__part_of_the_secret(make_secret_app):
    """The id ends at the first colon (RFC 7617); a colon after it belongs to the secret."""
    with make_secret_app("a:b:c").test_client() as client:
        response = client.post("/oauth/token", data=FORM, headers=basic_auth(BASIC_CLIENT, "a:b:c"))
    assert response.status_code == 200


def test_token__several_spaces_after_the_scheme__accepted(client):
    """RFC 9110 11.4: one or more spaces separate the scheme from the credentials."""
    encoded = base64.b64encode(f"{BASIC_CLIENT}:{BASIC_SECRET}".encode()).decode()
    response = client.post(
        "/oauth/token", data=FORM, headers={"Authorization": f"Basic   {encoded}"}
    )
    assert response.status_code == 200


@pytest.mark.parametrize(("spaces", "status"), [(3, 200), (4, 401)])
def test_token__authorization_header_up_to_4096_characters(make_secret_app, spaces, status):
    """A header of exactly the limit is read; one character more is refused unread."""
    secret = "s" * 3056  # with "svc-basic:", 3066 bytes: 4088 base64 characters
    encoded = base64.b64encode(f"{BASIC_CLIENT}:{secret}".encode()).decode()
    authorization = "Basic" + " " * spaces + encoded
    assert len(authorization) == MAX_AUTHORIZATION_CHARS - 3 + spaces
    with make_secret_app(secret).test_client() as client:
        response = client.post("/oauth/token", data=FORM, headers={"Authorization": authorization})
    assert response.status_code == status


def test_token__client_secret_in_body_is_refused(client):
    response = client.post(
        "/oauth/token",
        data={**FORM, "client_id": BASIC_CLIENT, "client_secret": BASIC_SECRET},
    )
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "invalid_request",
        "error_description": "client_secret in the body is not supported; use HTTP Basic",
    }


def test_token__body_client_id_must_match_basic_client(client):
    response = request_basic_token(client, client_id="someone-else")
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "invalid_request",
        "error_description": "client_id does not match the authenticated client",
    }


def test_token__audit_events_on_the_audit_logger(client):
    """Audit lines can be routed apart: their logger is ``apps.auth_service.audit``."""
    with configured_logging() as logs:
        request_basic_token(client)
        issued = assert_event(logs.events(), event="auth.token_issued")
    assert (issued["logger"], issued["level"]) == ("apps.auth_service.audit", "info")


def test_token__issued_event_names_client_and_tenant_but_no_token(client, events, metrics_registry):
    response = request_basic_token(client)
    token = response.get_json()["access_token"]

    issued = [e for e in events if e["event"] == "auth.token_issued"]
    assert len(issued) == 1
    assert issued[0]["client_id"] == BASIC_CLIENT
    assert issued[0]["tenant"] == "acme"
    assert issued[0]["auth_method"] == "client_secret_basic"
    # what an investigation needs to find the token again: its id and signing key
    assert issued[0]["jti"] == jwt.decode(token, options={"verify_signature": False})["jti"]
    assert issued[0]["kid"] == jwt.get_unverified_header(token)["kid"]
    assert issued[0]["scope"] == "orders:read orders:write"
    assert not any(token in repr(e) or BASIC_SECRET in repr(e) for e in events)
    assert (
        metric_value(
            metrics_registry, "auth_tokens_issued_total", auth_method="client_secret_basic"
        )
        == 1
    )


def test_token__ill_formed_claimed_client_id_is_not_logged(client, events):
    client.post("/oauth/token", data=FORM, headers=basic_auth("evil id\r\n", "x"))
    failures = [e for e in events if e["event"] == "auth.client_authentication_failed"]
    assert [(e["reason"], e["client_id"]) for e in failures] == [("unknown_client", None)]


def test_token__access_event_carries_client_and_tenant(client, events):
    request_basic_token(client)
    access = [e for e in events if e["event"] == "http.request"]
    assert len(access) == 1
    assert (access[0]["client_id"], access[0]["tenant"]) == (BASIC_CLIENT, "acme")
    assert access[0]["status"] == 200
    assert access[0]["request_id"]


def test_token__directory_record_hashed_at_other_costs_is_refused_like_an_unknown_client(
    make_app, config_data, make_settings, make_http_client, metrics_registry, events
):
    """Its verification would take another time than the decoy: it is not attempted."""
    record = dict(config_data["clients"][0])
    record["secret_hash"] = argon2.PasswordHasher(time_cost=2, memory_cost=16, parallelism=1).hash(
        BASIC_SECRET
    )
    config_data["registry"] = {"source": "directory", "url": "https://directory.internal/v1"}
    del config_data["clients"]
    http = make_http_client(lambda request: httpx.Response(200, json=record))
    app = make_app(settings=make_settings(), http_client=http)
    with app.test_client() as client:
        response = request_basic_token(client)
    assert response.status_code == 401
    assert response.get_json() == FAILED
    reason = "hash_costs_differ"
    assert (
        metric_value(metrics_registry, "auth_client_authentication_failures_total", reason=reason)
        == 1
    )
    failures = [e for e in events if e["event"] == "auth.client_authentication_failed"]
    assert [(e["reason"], e["client_id"]) for e in failures] == [(reason, BASIC_CLIENT)]
