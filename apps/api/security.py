"""Bearer authentication and scope checks for Flask requests (RFC 6750).

* no bearer token: 401 with ``WWW-Authenticate: Bearer realm="api"`` and no
  error code, as RFC 6750 asks for requests that carry no credentials;
* a token the verifier rejects: 401 with ``error="invalid_token"``; the reason
  is logged and counted in ``api_token_rejections_total{reason}``;
* a valid token without the route's scope: 403 with
  ``error="insufficient_scope"`` and the needed ``scope``.
"""

from __future__ import annotations

import structlog
from flask import Request

from apps.api.access_tokens import AccessTokenVerifier, InvalidToken, Principal
from apps.api.errors import Problem, ProblemType
from apps.api.metrics import ApiMetrics

READ_SCOPE = "projects:read"
WRITE_SCOPE = "projects:write"
REALM = "api"
#: The request and response fields of RFC 6750 (names are case-insensitive, RFC 9110 5.1).
AUTHORIZATION = "Authorization"
CHALLENGE = "WWW-Authenticate"


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if there is one."""
    header = request.headers.get(AUTHORIZATION)
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip()


def authenticate(
    request: Request, verifier: AccessTokenVerifier, metrics: ApiMetrics, scope: str
) -> Principal:
    """The caller, if the request carries a valid token with ``scope``; else a Problem."""
    token = bearer_token(request)
    if token is None:
        raise Problem(
            ProblemType.UNAUTHORIZED,
            "a bearer token is required",
            headers={CHALLENGE: f'Bearer realm="{REALM}"'},
        )
    try:
        principal = verifier.verify(token)
    except InvalidToken as exc:
        metrics.token_rejections.labels(reason=exc.reason).inc()
        structlog.get_logger(__name__).info("auth.token_rejected", reason=exc.reason)
        challenge = (
            f'Bearer realm="{REALM}", error="invalid_token", error_description="{exc.description}"'
        )
        raise Problem(
            ProblemType.UNAUTHORIZED, exc.description, headers={CHALLENGE: challenge}
        ) from None
    if scope not in principal.scopes:
        challenge = f'Bearer realm="{REALM}", error="insufficient_scope", scope="{scope}"'
        raise Problem(
            ProblemType.FORBIDDEN,
            f"this operation needs the '{scope}' scope",
            headers={CHALLENGE: challenge},
        )
    return principal
