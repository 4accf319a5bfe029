"""HTTP endpoints: token, JWKS and metadata (RFC 8414); the health checks are the kernel's."""

from __future__ import annotations

from typing import Any

import flask
import structlog
from werkzeug.exceptions import RequestEntityTooLarge

from apps.auth_service import audit
from apps.auth_service.client_auth import claimed_client_id
from apps.auth_service.clients import (
    ASSERTION_ALGORITHMS,
    AUTH_METHODS,
    CLIENT_ID,
    RegistryUnavailable,
)
from apps.auth_service.errors import (
    NO_STORE,
    InvalidClient,
    InvalidRequest,
    OAuthError,
    SlowDown,
    TemporarilyUnavailable,
    UnsupportedGrantType,
)
from apps.auth_service.replay_cache import ReplayCacheUnavailable
from apps.auth_service.scopes import grant_scopes
from apps.auth_service.services import AuthServices, current_services
from apps.auth_service.throttle import ThrottleUnavailable, address_key

GRANT_TYPE = "client_credentials"
_PARAMETERS = frozenset(
    {
        "grant_type",
        "scope",
        "client_id",
        "client_secret",
        "client_assertion",
        "client_assertion_type",
    }
)

blueprint = flask.Blueprint("auth_service", __name__)


def _read_form(max_bytes: int) -> dict[str, str]:
    request = flask.request
    # Werkzeug cuts a chunked body at MAX_CONTENT_LENGTH instead of failing, so a
    # parameter past it would vanish; the app sets that limit one byte higher.
    if len(request.get_data(cache=True)) > max_bytes:
        raise RequestEntityTooLarge()
    if request.mimetype != "application/x-www-form-urlencoded":
        raise InvalidRequest("the body must be application/x-www-form-urlencoded")
    if request.args:
        raise InvalidRequest("parameters must be sent in the request body")
    form = request.form
    for key in form:
        if len(form.getlist(key)) > 1:
            # Only known names are echoed back; anything else stays unnamed.
            name = key if key in _PARAMETERS else "a parameter"
            raise InvalidRequest(f"{name} is repeated")
    return form.to_dict()


def _claimed_client_id(form: dict[str, str]) -> str | None:
    """A client id safe to log, if the request named a well-formed one."""
    return _loggable(form.get("client_id"))


@blueprint.post("/oauth/token")
def token() -> flask.Response:
    services = current_services()
    form: dict[str, str] = {}
    authorization = flask.request.headers.get("Authorization")
    address = address_key(flask.request.remote_addr)
    claimed: str | None = None
    try:
        form = _read_form(services.settings.max_request_bytes)
        grant_type = form.get("grant_type")
        if grant_type is None:
            raise InvalidRequest("grant_type is required")
        if grant_type != GRANT_TYPE:
            raise UnsupportedGrantType("only grant_type=client_credentials is supported")
        claimed = claimed_client_id(authorization, form)
        _check_throttle(services, claimed, address)
        client = services.authenticator.authenticate(authorization, form)
        record = client.record
        structlog.contextvars.bind_contextvars(client_id=record.client_id, tenant=record.tenant)
        scopes = grant_scopes(form.get("scope"), record.allowed_scopes)
        issued = services.issuer.issue(record, scopes)
    except InvalidClient as exc:
        services.metrics.authentication_failures.labels(exc.reason).inc()
        if exc.reason == "replayed_assertion":
            services.metrics.replays_detected.inc()
        audit.authentication_failed(
            reason=exc.reason, client_id=exc.client_id or _loggable(claimed)
        )
        _record_failure(services, claimed, address)
        return _refuse(services, exc)
    except SlowDown as exc:
        return _refuse(services, exc)
    except OAuthError as exc:
        audit.request_rejected(error=exc.error, client_id=_claimed_client_id(form))
        return _refuse(services, exc)
    except (ReplayCacheUnavailable, RegistryUnavailable, ThrottleUnavailable) as exc:
        _dependency_failed(services, exc)
        return _refuse(services, TemporarilyUnavailable("try again later"))
    services.metrics.tokens_issued.labels(client.method).inc()
    audit.token_issued(
        client_id=record.client_id,
        tenant=record.tenant,
        auth_method=client.method,
        scope=issued.scope,
        jti=issued.jti,
        kid=issued.kid,
    )
    body = {
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "scope": issued.scope,
    }
    response = flask.jsonify(body)
    response.headers.update(NO_STORE)
    return response


def _check_throttle(services: AuthServices, claimed: str | None, address: str) -> None:
    """Raise ``SlowDown`` if the client's or the address's failure budget is spent."""
    refusal = services.throttle.check(claimed, address)
    if refusal is not None:
        services.metrics.throttled.labels(refusal.limit).inc()
        audit.request_throttled(limit=refusal.limit, client_id=_loggable(claimed))
        raise SlowDown("too many failed attempts; retry later", retry_after=refusal.retry_after)


def _record_failure(services: AuthServices, claimed: str | None, address: str) -> None:
    try:
        services.throttle.record_failure(claimed, address)
    except ThrottleUnavailable as exc:
        # The request is refused anyway; the lost count is logged and counted,
        # and the next request fails closed at the check if the store is down.
        _dependency_failed(services, exc)


def _dependency_failed(
    services: AuthServices, exc: ReplayCacheUnavailable | RegistryUnavailable | ThrottleUnavailable
) -> None:
    dependency = {
        ReplayCacheUnavailable: "replay_cache",
        RegistryUnavailable: "registry",
        ThrottleUnavailable: "throttle",
    }[type(exc)]
    services.metrics.dependency_failures.labels(dependency).inc()
    audit.dependency_failed(dependency=dependency, detail=str(exc))


def _loggable(client_id: str | None) -> str | None:
    return client_id if client_id is not None and CLIENT_ID.fullmatch(client_id) else None


def _refuse(services: AuthServices, error: OAuthError) -> flask.Response:
    services.metrics.token_errors.labels(error.error).inc()
    return error.to_response()


@blueprint.get("/.well-known/jwks.json")
def jwks() -> flask.Response:
    services = current_services()
    settings = services.settings
    body = services.key_set.jwks(
        services.clock(), settings.token_lifetime_seconds, settings.clock_leeway_seconds
    )
    response = flask.jsonify(body)
    response.headers["Cache-Control"] = f"public, max-age={settings.jwks_max_age_seconds}"
    return response


@blueprint.get("/.well-known/oauth-authorization-server")
def metadata() -> flask.Response:
    settings = current_services().settings
    body: dict[str, Any] = {
        "issuer": settings.issuer,
        "token_endpoint": settings.token_endpoint,
        "jwks_uri": settings.jwks_uri,
        "grant_types_supported": [GRANT_TYPE],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
    }
    if settings.registry.source == "config":
        scopes = {scope for c in settings.clients for scope in c.allowed_scopes}
        body["scopes_supported"] = sorted(scopes)
    response = flask.jsonify(body)
    response.headers["Cache-Control"] = f"public, max-age={settings.jwks_max_age_seconds}"
    return response
