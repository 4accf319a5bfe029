"""Every error of the token service is JSON: RFC 6749 section 5.2 shape, no HTML pages."""

from __future__ import annotations

import pytest

from apps.auth_service.errors import InvalidScope
from tests.unit.auth.configuration import basic_auth, request_basic_token
from tests.utils.logging import assert_event, configured_logging, metric_value


def _json_error(response, status, error):
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body == {"error": error, "error_description": body["error_description"]}
    assert isinstance(body["error_description"], str)
    assert "<html" not in response.get_data(as_text=True).lower()
    assert response.headers["Cache-Control"] == "no-store"
    return body


@pytest.mark.parametrize(
    "path", ["/nowhere", "/oauth/token/x", "/.well-known/openid-configuration"]
)
def test_unknown_path__404_json(client, path):
    body = _json_error(client.get(path), 404, "not_found")
    assert body["error_description"] == "no resource at this path"


def test_metrics__not_served_on_the_public_port(client, metrics_registry):
    """Failure reasons would tell which client ids exist: they are counted, not published."""
    client.post("/oauth/token", data={"grant_type": "client_credentials"},
                headers=basic_auth("svc-nobody", "x"))  # fmt: skip
    _json_error(client.get("/metrics"), 404, "not_found")
    assert (
        metric_value(
            metrics_registry, "auth_client_authentication_failures_total", reason="unknown_client"
        )
        == 1
    )


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/.well-known/jwks.json", "GET, HEAD, OPTIONS"),
        ("DELETE", "/oauth/token", "OPTIONS, POST"),
        ("POST", "/healthz", "GET, HEAD, OPTIONS"),
    ],
)
def test_wrong_method__405_json_with_allow(client, method, path, allow):
    response = client.open(path, method=method)
    _json_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == allow


def test_unexpected_exception__500_json_logged_without_detail(make_app, events):
    class BrokenRegistry:
        def get(self, client_id):
            raise RuntimeError("directory password is hunter2")

    app = make_app(client_registry=BrokenRegistry())
    with app.test_client() as client:
        response = request_basic_token(client)
    body = _json_error(response, 500, "server_error")
    assert "hunter2" not in body["error_description"]
    crash = [e for e in events if e["event"] == "request.unhandled_exception"]
    assert crash[0]["error_type"] == "RuntimeError"
    assert "hunter2" not in repr(events)


def test_unexpected_exception__logged_on_the_apps_logger(make_app):
    """The crash line is on ``apps.auth_service``, where every logger of the service starts."""

    class BrokenRegistry:
        def get(self, client_id):
            raise RuntimeError("boom")

    app = make_app(client_registry=BrokenRegistry())
    with configured_logging() as logs, app.test_client() as client:
        request_basic_token(client)
        crash = assert_event(logs.events(), event="request.unhandled_exception")
    assert (crash["logger"], crash["level"]) == ("apps.auth_service", "error")


def test_oauth_error_outside_the_token_endpoint__its_json_error(make_app):
    """An OAuth error a view does not answer itself is still the documented shape."""
    app = make_app()

    @app.get("/scoped")
    def scoped():
        raise InvalidScope("scope x is not allowed")

    response = _json_error(app.test_client().get("/scoped"), 400, "invalid_scope")
    assert response["error_description"] == "scope x is not allowed"


def test_responses__carry_no_server_banner(client):
    for response in (client.get("/healthz"), client.get("/nowhere")):
        assert "Server" not in response.headers
