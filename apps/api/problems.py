"""RFC 9457 problem details: every error the API answers is ``application/problem+json``.

Each kind of failure has a stable ``type`` URI (:class:`ProblemType`); clients
branch on it, never on ``title`` or ``detail`` text. Views raise
:class:`Problem`; :func:`register_error_handlers` also turns Werkzeug's HTTP
errors (404 routing, 405, 413) and unexpected exceptions into problems.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any

import structlog
from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:problem-type:projects-api:"


class ProblemType(enum.Enum):
    """A stable problem type: (slug, title, default status)."""

    MALFORMED_REQUEST = ("malformed-request", "Malformed request", 400)
    UNAUTHORIZED = ("unauthorized", "Authentication required", 401)
    FORBIDDEN = ("forbidden", "Forbidden", 403)
    NOT_FOUND = ("not-found", "Not found", 404)
    METHOD_NOT_ALLOWED = ("method-not-allowed", "Method not allowed", 405)
    PAYLOAD_TOO_LARGE = ("payload-too-large", "Payload too large", 413)
    UNSUPPORTED_MEDIA_TYPE = ("unsupported-media-type", "Unsupported media type", 415)
    VALIDATION = ("validation", "Validation failed", 422)
    RATE_LIMITED = ("rate-limited", "Too many requests", 429)
    INTERNAL = ("internal", "Internal server error", 500)

    def __init__(self, slug: str, title: str, status: int) -> None:
        self.slug = slug
        self.title = title
        self.status = status

    @property
    def uri(self) -> str:
        return TYPE_PREFIX + self.slug


_BY_STATUS = {kind.status: kind for kind in ProblemType}


class Problem(Exception):
    """An error answered as problem details; raise it from a view or hook."""

    def __init__(
        self,
        kind: ProblemType,
        detail: str,
        *,
        errors: Sequence[Mapping[str, str]] = (),
        headers: Mapping[str, str] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.errors = [dict(error) for error in errors]
        self.headers = dict(headers or {})
        self.status = status or kind.status

    def to_response(self, instance: str) -> Response:
        """The problem+json response; ``instance`` is the request path."""
        body: dict[str, Any] = {
            "type": self.kind.uri,
            "title": self.kind.title,
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
        }
        if self.errors:
            body["errors"] = self.errors
        response = Response(json.dumps(body), status=self.status, mimetype=PROBLEM_MEDIA_TYPE)
        response.headers.update(self.headers)
        return response


def validation_problem(errors: Sequence[Mapping[str, str]]) -> Problem:
    """A 422 listing each invalid field (``pointer``) or parameter (``parameter``)."""
    return Problem(ProblemType.VALIDATION, "the request is not valid", errors=errors)


def register_error_handlers(app: Flask) -> None:
    """Answer :class:`Problem`, HTTP errors and unexpected exceptions as problem+json."""
    logger = structlog.get_logger("apps.api")

    def instance_path() -> str:
        return request.path

    @app.errorhandler(Problem)
    def handle_problem(problem: Problem) -> Response:
        return problem.to_response(instance_path())

    @app.errorhandler(HTTPException)
    def handle_http_exception(exc: HTTPException) -> Response:
        status = exc.code or 500
        kind = _BY_STATUS.get(status, ProblemType.MALFORMED_REQUEST)
        headers: dict[str, str] = {}
        if status == 405:
            valid = getattr(exc, "valid_methods", None) or []
            headers["Allow"] = ", ".join(sorted(valid))
        detail = {
            404: "no resource at this path",
            405: "this method is not supported on this path",
            413: "the request body is larger than this API accepts",
        }.get(status, exc.description or kind.title)
        return Problem(kind, detail, headers=headers, status=status).to_response(instance_path())

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> Response:
        logger.exception("request.unhandled_exception", error_type=type(exc).__name__)
        problem = Problem(ProblemType.INTERNAL, "the server failed to handle the request")
        return problem.to_response(instance_path())
