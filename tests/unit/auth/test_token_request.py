"""POST /oauth/token: request shape, grant types, scopes and RFC 6749 5.2 errors."""

from __future__ import annotations

import pytest

from tests.unit.auth.configuration import BASIC_CLIENT, BASIC_SECRET, basic_auth
from tests.utils.chunked import chunked
from tests.utils.logging import metric_value

AUTH = basic_auth(BASIC_CLIENT, BASIC_SECRET)


def _error(response, status, error):
    assert response.status_code == status
    body = response.get_json()
    assert body["error"] == error
    assert isinstance(body["error_description"], str)
    assert response.headers["Cache-Control"] == "no-store"
    return body


def test_token__missing_grant_type_is_invalid_request(client):
    _error(client.post("/oauth/token", data={}, headers=AUTH), 400, "invalid_request")


@pytest.mark.parametrize("grant_type", ["password", "authorization_code", "", "CLIENT_CREDENTIALS"])
def test_token__other_grant_types_are_unsupported(client, metrics_registry, grant_type):
    response = client.post("/oauth/token", data={"grant_type": grant_type}, headers=AUTH)
    _error(response, 400, "unsupported_grant_type")
    assert (
        metric_value(metrics_registry, "auth_token_errors_total", error="unsupported_grant_type")
        == 1
    )


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"grant_type": "client_credentials"}', "application/json"),
        ("grant_type=client_credentials", "text/plain"),
        (b"\x00\xff\xfe garbage", "application/octet-stream"),
    ],
)
def test_token__non_form_bodies_are_invalid_request(client, body, content_type):
    response = client.post("/oauth/token", data=body, content_type=content_type, headers=AUTH)
    _error(response, 400, "invalid_request")


def test_token__garbage_form_body_is_handled(client):
    response = client.post(
        "/oauth/token",
        data=b"%%%\xff\xfe=&&==grant_type",
        content_type="application/x-www-form-urlencoded",
        headers=AUTH,
    )
    _error(response, 400, "invalid_request")


def test_token__query_parameters_are_refused(client):
    response = client.post(
        "/oauth/token?grant_type=client_credentials",
        data={"grant_type": "client_credentials"},
        headers=AUTH,
    )
    _error(response, 400, "invalid_request")


@pytest.mark.parametrize(
    ("form", "description"),
    [
        pytest.param("scope=orders:read&scope=orders:write", "scope is repeated", id="named"),
        # An unknown name is the caller's text: it is not echoed back.
        pytest.param("<b>x</b>=1&<b>x</b>=2", "a parameter is repeated", id="unknown-not-echoed"),
    ],
)
def test_token__repeated_parameters_are_refused(client, form, description):
    response = client.post(
        "/oauth/token",
        data=f"grant_type=client_credentials&{form}",
        content_type="application/x-www-form-urlencoded",
        headers=AUTH,
    )
    body = _error(response, 400, "invalid_request")
    assert body["error_description"] == description


def test_token__oversized_body_is_refused_with_413(client):
    response = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "a" * 20_000},
        headers=AUTH,
    )
    _error(response, 413, "invalid_request")


def _chunked(client, body: bytes):
    return client.post("/oauth/token", **chunked(body, "application/x-www-form-urlencoded", AUTH))


def test_token__oversized_chunked_body_is_refused_not_truncated(make_app, make_settings, events):
    """A trailing scope past the limit must not be cut off (granting every scope instead)."""
    app = make_app(settings=make_settings(max_request_bytes=1024))
    padding = "grant_type=client_credentials&pad=" + "x" * 1000
    body = f"{padding}&scope=orders:read".encode()
    assert len(body) > 1024
    with app.test_client() as client:
        response = _chunked(client, body)
    body_json = _error(response, 413, "invalid_request")
    assert "too large" in body_json["error_description"]
    assert not [e for e in events if e["event"] == "auth.token_issued"]


def test_token__chunked_body_of_exactly_the_limit_is_read_whole(make_app, make_settings):
    app = make_app(settings=make_settings(max_request_bytes=1024))
    head = "grant_type=client_credentials&scope=orders:read&pad="
    body = (head + "x" * (1024 - len(head))).encode()
    assert len(body) == 1024
    with app.test_client() as client:
        response = _chunked(client, body)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["scope"] == "orders:read"


@pytest.mark.parametrize(
    "scope",
    ["orders:admin", "orders:read orders:admin", "reports:read"],
)
def test_token__scope_escalation_is_invalid_scope(client, scope, events):
    response = client.post(
        "/oauth/token", data={"grant_type": "client_credentials", "scope": scope}, headers=AUTH
    )
    _error(response, 400, "invalid_scope")
    rejected = [e for e in events if e["event"] == "auth.token_request_rejected"]
    assert rejected[0]["error"] == "invalid_scope"


@pytest.mark.parametrize(
    "scope", ["orders:read  orders:write", " orders:read", 'bad"quote', "a\\b"]
)
def test_token__malformed_scope_is_invalid_scope(client, scope):
    response = client.post(
        "/oauth/token", data={"grant_type": "client_credentials", "scope": scope}, headers=AUTH
    )
    _error(response, 400, "invalid_scope")


def test_token__empty_scope_grants_all_allowed_scopes(client):
    response = client.post(
        "/oauth/token", data={"grant_type": "client_credentials", "scope": ""}, headers=AUTH
    )
    assert response.status_code == 200
    assert response.get_json()["scope"] == "orders:read orders:write"


def test_token__get_is_not_allowed(client):
    response = client.get("/oauth/token")
    assert response.status_code == 405
    assert response.headers["Allow"] == "OPTIONS, POST"
    assert response.get_json()["error"] == "method_not_allowed"


def test_token__rejected_request_logs_well_formed_client_id_only(client, events):
    client.post("/oauth/token", data={"grant_type": "password", "client_id": "svc-x"})
    client.post("/oauth/token", data={"grant_type": "password", "client_id": "bad id\n"})
    rejected = [e for e in events if e["event"] == "auth.token_request_rejected"]
    assert [e["client_id"] for e in rejected] == ["svc-x", None]
