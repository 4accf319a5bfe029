"""JSON error responses: every error the token service answers has one shape.

``{"error": code, "error_description": text}``, the shape of RFC 6749 section
5.2, with ``Cache-Control: no-store``. At the token endpoint ``code`` is an
OAuth error code (``invalid_request``, ``invalid_client``, ...); elsewhere it
names the HTTP failure (``not_found``, ``method_not_allowed``,
``server_error``). Werkzeug's HTML error pages are never sent.
"""

from __future__ import annotations

import flask
import structlog
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from apps.auth_service.errors import InvalidClient, OAuthError, SlowDown

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
#: Error codes for HTTP failures outside the OAuth vocabulary, by status.
_HTTP_CODES = {
    400: "invalid_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "invalid_request",
}
_HTTP_DESCRIPTIONS = {
    404: "no resource at this path",
    405: "this method is not supported on this path",
    413: "the request body is too large",
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


def http_error(exc: HTTPException) -> flask.Response:
    """Werkzeug's HTTP errors (routing, method, body size) as JSON errors."""
    status = exc.code or 500
    error = _HTTP_CODES.get(status, "server_error" if status >= 500 else "invalid_request")
    response = json_error(status, error, _HTTP_DESCRIPTIONS.get(status, error.replace("_", " ")))
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    return response


def unexpected_error(exc: Exception) -> flask.Response:
    """A crash: logged with its type only (messages may carry secrets), answered 500."""
    structlog.get_logger("auth_service").error(
        "request.unhandled_exception", error_type=type(exc).__name__
    )
    return json_error(500, "server_error", "the server failed to handle the request")


def register_error_handlers(app: flask.Flask) -> None:
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected_error)
