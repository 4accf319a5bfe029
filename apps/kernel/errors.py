"""JSON error handling both services share: every error is JSON, never an HTML page.

Each service renders errors in its own documented shape (the API as RFC 9457
``application/problem+json``, the token service as RFC 6749 section 5.2
``{"error", "error_description"}``) through an :data:`ErrorRenderer`. This
module decides everything else once, for both:

* Werkzeug's HTTP errors (404 routing, 405, 413, 400, ...) become an
  :class:`ErrorReply` with a fixed description (never a text that echoes the
  request); a 405 names the methods the path allows in ``Allow``;
* any other exception answers 500, logged as ``request.unhandled_exception``
  on the app's logger (its name: ``apps.api``, ``apps.auth_service``) with the
  exception's type and where it was raised, never its message (which may hold
  a secret, a token or a password from a connection URL).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import structlog
from flask import Flask, Response
from werkzeug.exceptions import HTTPException, MethodNotAllowed

UNHANDLED_EVENT = "request.unhandled_exception"
#: Descriptions of the HTTP errors a client can cause without reaching a view.
DESCRIPTIONS: Mapping[int, str] = {
    400: "the request is malformed",
    404: "no resource at this path",
    405: "this method is not supported on this path",
    413: "the request body is too large",
    500: "the server failed to handle the request",
}


@dataclass(frozen=True)
class ErrorReply:
    """An error to answer: its status, a description safe to show, extra headers."""

    status: int
    description: str
    headers: Mapping[str, str] = field(default_factory=dict)


ErrorRenderer = Callable[[ErrorReply], Response]


def reply_for(exc: HTTPException) -> ErrorReply:
    """The reply to one of Werkzeug's HTTP errors."""
    status = exc.code or 500
    headers: dict[str, str] = {}
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    description = DESCRIPTIONS.get(status) or DESCRIPTIONS[400 if status < 500 else 500]
    return ErrorReply(status, description, headers)


def register_error_handlers(app: Flask, render: ErrorRenderer) -> None:
    """Answer HTTP errors and unexpected exceptions of ``app`` through ``render``."""
    logger = structlog.get_logger(app.name)

    def handle_http_exception(exc: HTTPException) -> Response:
        return render(reply_for(exc))

    def handle_unexpected(exc: Exception) -> Response:
        logger.error(UNHANDLED_EVENT, error_type=type(exc).__name__, raised_at=_origin(exc))
        return render(ErrorReply(500, DESCRIPTIONS[500]))

    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)


def _origin(exc: BaseException) -> str | None:
    """``file:line in function`` of the frame that raised ``exc`` (no message, no locals)."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return None
    last = frames[-1]
    return f"{last.filename}:{last.lineno} in {last.name}"
