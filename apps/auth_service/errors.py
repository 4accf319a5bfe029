"""Errors of the token service, answered as JSON of one shape.

``{"error": code, "error_description": text}``, the shape of RFC 6749 section
5.2, with ``Cache-Control: no-store``. At the token endpoint ``code`` is an
OAuth error code (each :class:`OAuthError` subclass has one); elsewhere it
names the HTTP failure (``not_found``, ``method_not_allowed``,
``server_error``). Which HTTP failures and crashes become errors, the
``Allow`` header of a 405 and how a crash is logged are the services' shared
rules (:mod:`apps.kernel.errors`); this module only renders them.
"""

from __future__ import annotations

import flask

from apps.kernel import errors as kernel_errors

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
#: Error codes for HTTP failures outside the OAuth vocabulary, by status.
_HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
}


class OAuthError(Exception):
    """An error response of the token endpoint (RFC 6749 section 5.2)."""

    error = "invalid_request"
    status = 400

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description

    def to_response(self) -> flask.Response:
        """The JSON error response."""
        return json_error(self.status, self.error, self.description)


class InvalidRequest(OAuthError):
    """The request is malformed: missing, repeated or wrongly typed parameters."""


class InvalidClient(OAuthError):
    """Client authentication failed (unknown client, bad secret, bad assertion)."""

    error = "invalid_client"
    status = 401

    def __init__(self, description: str, *, reason: str, client_id: str | None = None) -> None:
        super().__init__(description)
        #: A short, fixed label for metrics and audit events.
        self.reason = reason
        #: The client id the request claimed, if well formed (for audit events only).
        self.client_id = client_id

    def to_response(self) -> flask.Response:
        response = super().to_response()
        response.headers["WWW-Authenticate"] = 'Basic realm="token", error="invalid_client"'
        return response


class InvalidScope(OAuthError):
    """The requested scope is malformed or exceeds what the client may request."""

    error = "invalid_scope"


class UnsupportedGrantType(OAuthError):
    """The grant type is not ``client_credentials``."""

    error = "unsupported_grant_type"


class SlowDown(OAuthError):
    """Too many failed authentications for this client id or address (429).

    ``slow_down`` is the token-endpoint error code RFC 8628 registered for a
    client that must wait before trying again.
    """

    error = "slow_down"
    status = 429

    def __init__(self, description: str, *, retry_after: int) -> None:
        super().__init__(description)
        self.retry_after = retry_after

    def to_response(self) -> flask.Response:
        response = super().to_response()
        response.headers["Retry-After"] = str(self.retry_after)
        return response


class TemporarilyUnavailable(OAuthError):
    """A dependency (replay cache, client directory) failed; the request is refused."""

    error = "temporarily_unavailable"
    status = 503


def json_error(status: int, error: str, description: str) -> flask.Response:
    """A JSON error response that no cache keeps."""
    response = flask.jsonify({"error": error, "error_description": description})
    response.status_code = status
    response.headers.update(NO_STORE)
    return response


def render_reply(reply: kernel_errors.ErrorReply) -> flask.Response:
    """An HTTP failure or a crash in the service's one error shape."""
    code = _HTTP_CODES.get(reply.status) or (
        "server_error" if reply.status >= 500 else "invalid_request"
    )
    response = json_error(reply.status, code, reply.description)
    response.headers.update(reply.headers)
    return response


def register_error_handlers(app: flask.Flask) -> None:
    """Answer :class:`OAuthError`, HTTP errors and unexpected exceptions in the one shape."""
    app.register_error_handler(OAuthError, lambda error: error.to_response())
    kernel_errors.register_error_handlers(app, render_reply)
