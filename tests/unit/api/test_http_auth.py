"""Bearer authentication and scopes on the routes (RFC 6750 challenges)."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from apps.api.errors import PROBLEM_MEDIA_TYPE
from tests.unit.api.tokens import TOKEN_LIFETIME
from tests.utils.logging import configured_logging

ROUTES = [
    ("GET", "/v1/projects", "projects:read"),
    ("POST", "/v1/projects", "projects:write"),
    ("GET", "/v1/projects/some-id", "projects:read"),
    ("PATCH", "/v1/projects/some-id", "projects:write"),
    ("DELETE", "/v1/projects/some-id", "projects:write"),
]


def rejections(metrics_registry, reason):
    return metrics_registry.get_sample_value("api_token_rejections_total", {"reason": reason}) or 0


@pytest.mark.parametrize(("method", "path", "scope"), ROUTES)
def test_route__no_token__401_challenge_without_error(client, method, path, scope):
    """No credentials: 401 and a bare Bearer challenge (no error code)."""
    response = client.open(path, method=method)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.mimetype == PROBLEM_MEDIA_TYPE
    assert response.json["type"].endswith(":unauthorized")
    assert response.json["detail"] == "a bearer token is required"


@pytest.mark.parametrize("authorization", ["Basic YTpi", "Token abc", "Bearer"])
def test_route__not_a_bearer_credential__401(client, authorization):
    """Other schemes are not bearer tokens; an empty bearer is not a token."""
    response = client.get("/v1/projects", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="api"')


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"aud": "billing-api"}, "audience"),
        ({"iss": "https://evil.test"}, "issuer"),
        ({"drop": ("tenant",)}, "claims"),
    ],
)
def test_route__rejected_token__401_invalid_token_and_counted(
    client, acme, metrics_registry, claims, reason
):
    """A rejected token answers invalid_token, is logged by reason and counted."""
    with capture_logs() as events:
        response = client.get("/v1/projects", headers=acme.headers(**claims))
    assert response.status_code == 401
    detail = response.json["detail"]
    assert response.headers["WWW-Authenticate"] == (
        f'Bearer realm="api", error="invalid_token", error_description="{detail}"'
    )
    assert rejections(metrics_registry, reason) == 1
    rejected = [e for e in events if e["event"] == "auth.token_rejected"]
    assert rejected == [{"event": "auth.token_rejected", "reason": reason, "log_level": "info"}]


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "Bearer  "])
def test_route__scheme_any_case_and_extra_spaces__accepted(client, acme, scheme):
    """The auth scheme is case-insensitive (RFC 9110 11.1); spaces before the token are skipped."""
    response = client.get("/v1/projects", headers={"Authorization": f"{scheme} {acme.token()}"})
    assert response.status_code == 200


def test_route__bearer_credential_with_inner_space__invalid_token(client):
    """All that follows "Bearer " is the token: one with a space inside is refused, not ignored."""
    response = client.get("/v1/projects", headers={"Authorization": "Bearer not a token"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == (
        'Bearer realm="api", error="invalid_token", '
        'error_description="the token is not a well-formed JWT"'
    )


def test_route__rejected_token__logged_on_the_api_auth_logger(client, acme):
    """The emitted line names its logger, so the on-call can route and filter auth events."""
    with configured_logging() as logging:
        client.get("/v1/projects", headers=acme.headers(aud="billing-api"))
        rejected = [e for e in logging.events() if e["event"] == "auth.token_rejected"]
    assert [(e["logger"], e["level"], e["reason"]) for e in rejected] == [
        ("apps.api.security", "info", "audience")
    ]


def test_route__expired_token__401(client, acme, clock):
    """A token that expired while in use stops working."""
    headers = acme.headers()
    assert client.get("/v1/projects", headers=headers).status_code == 200
    clock.advance(TOKEN_LIFETIME + 30)
    response = client.get("/v1/projects", headers=headers)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert response.json["detail"] == "the token has expired"


def test_route__token_never_logged(client, acme):
    """Neither the bearer token nor its signature appears in any log event."""
    token = acme.token(aud="billing-api")
    with capture_logs() as events:
        client.get("/v1/projects", headers={"Authorization": f"Bearer {token}"})
    assert events
    assert token.split(".")[2] not in repr(events)


@pytest.mark.parametrize(("method", "path", "scope"), ROUTES)
def test_route__missing_scope__403_insufficient_scope(client, acme, method, path, scope):
    """A token without the route's scope answers 403 naming the scope."""
    other = "projects:write" if scope == "projects:read" else "projects:read"
    response = client.open(path, method=method, headers=acme.headers(other), json={})
    assert response.status_code == 403
    assert response.headers["WWW-Authenticate"] == (
        f'Bearer realm="api", error="insufficient_scope", scope="{scope}"'
    )
    assert response.json["type"].endswith(":forbidden")
    assert response.json["detail"] == f"this operation needs the '{scope}' scope"


def test_route__empty_scope__403(client, acme):
    """A token with no scopes at all cannot read."""
    response = client.get("/v1/projects", headers=acme.headers(""))
    assert response.status_code == 403


def test_route__read_scope_only__can_read(client, acme):
    """``projects:read`` alone is enough to list."""
    assert client.get("/v1/projects", headers=acme.headers("projects:read")).status_code == 200


def test_route__token_verifier_injected__used(make_client, acme):
    """A whole verifier can replace the JWT one (the provider is an interface)."""
    from apps.api.access_tokens import InvalidToken, Principal

    class AllowList:
        def verify(self, token):
            if token != "letmein":
                raise InvalidToken("unknown", "not on the list")
            return Principal("s", "c", "t", frozenset({"projects:read"}), "j")

        def ready(self):
            return True

    client = make_client(token_verifier=AllowList())
    assert (
        client.get("/v1/projects", headers={"Authorization": "Bearer letmein"}).status_code == 200
    )
    assert client.get("/v1/projects", headers=acme.headers()).status_code == 401
