"""Security audit events, emitted through logging_lib (structlog underneath).

Events carry ids and labels only: never a secret, an assertion or a token.
"""

from __future__ import annotations

from typing import Any

import logging_lib

AUDIT_LOGGER = __name__
TOKEN_ISSUED = "auth.token_issued"  # noqa: S105 - an event name
AUTHENTICATION_FAILED = "auth.client_authentication_failed"
REPLAY_DETECTED = "auth.replay_detected"
REQUEST_REJECTED = "auth.token_request_rejected"
DEPENDENCY_FAILED = "auth.dependency_failed"
REQUEST_THROTTLED = "auth.token_request_throttled"


def _logger() -> Any:
    return logging_lib.get_logger(AUDIT_LOGGER)


def token_issued(
    *, client_id: str, tenant: str, auth_method: str, scope: str, jti: str, kid: str
) -> None:
    _logger().info(
        TOKEN_ISSUED,
        client_id=client_id,
        tenant=tenant,
        auth_method=auth_method,
        scope=scope,
        jti=jti,
        kid=kid,
    )


def authentication_failed(*, reason: str, client_id: str | None) -> None:
    event = REPLAY_DETECTED if reason == "replayed_assertion" else AUTHENTICATION_FAILED
    _logger().warning(event, reason=reason, client_id=client_id)


def request_rejected(*, error: str, client_id: str | None) -> None:
    _logger().info(REQUEST_REJECTED, error=error, client_id=client_id)


def dependency_failed(*, dependency: str, detail: str) -> None:
    _logger().error(DEPENDENCY_FAILED, dependency=dependency, detail=detail)


def request_throttled(*, limit: str, client_id: str | None) -> None:
    _logger().warning(REQUEST_THROTTLED, limit=limit, client_id=client_id)
