"""JSON error responses: every error the token service answers has one shape.

``{"error": code, "error_description": text}``, the shape of RFC 6749 section
5.2, with ``Cache-Control: no-store``. At the token endpoint ``code`` is an
OAuth error code (``invalid_request``, ``invalid_client``, ...); elsewhere it
names the HTTP failure (``not_found``, ``method_not_allowed``,
``server_error``). Which HTTP failures and crashes become errors, the ``Allow``
header of a 405 and how a crash is logged are the services' shared rules
(:mod:`apps.kernel.errors`); this module only renders them.
"""

from __future__ import annotations

import flask

from apps.auth_service.errors import InvalidClient, OAuthError, SlowDown
from apps.kernel import errors as kernel_errors

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
#: Error codes for HTTP failures outside the OAuth vocabulary, by status.
_HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
}


def json_error(status: int, error: str, description: str) -> flask.Response:
    """A JSON error response that no cache keeps."""
    response = flask.jsonify({"error": error, "error_description": description})
    response.status_code = status
    response.headers.update(NO_STORE)
    return response


def error_response(error: OAuthError) -> flask.Response:
    """An RFC 6749 section 5.2 error; ``invalid_client`` adds ``WWW-Authenticate``."""
    response = json_error(error.status, error.error, error.description)
    if isinstance(error, InvalidClient):
        response.headers["WWW-Authenticate"] = 'Basic realm="token", error="invalid_client"'
    if isinstance(error, SlowDown):
        response.headers["Retry-After"] = str(error.retry_after)
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
    kernel_errors.register_error_handlers(app, render_reply, logger_name="auth_service")
