"""Errors of the API, answered as RFC 9457 problem details (``application/problem+json``).

Each kind of failure has a stable ``type`` URI (:class:`ProblemType`); clients
branch on it, never on ``title`` or ``detail`` text. Views raise
:class:`Problem`. Which HTTP failures and crashes become errors, the ``Allow``
header of a 405 and how a crash is logged are the services' shared rules
(:mod:`apps.kernel.errors`); this module only renders them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any

from flask import Flask, Response, json, request

from apps.kernel import errors as kernel_errors

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

    def to_response(self) -> Response:
        """The problem+json response; its ``instance`` is the request's path."""
        body: dict[str, Any] = {
            "type": self.kind.uri,
            "title": self.kind.title,
            "status": self.status,
            "detail": self.detail,
            "instance": request.path,
        }
        if self.errors:
            body["errors"] = self.errors
        response = Response(json.dumps(body), status=self.status, mimetype=PROBLEM_MEDIA_TYPE)
        response.headers.update(self.headers)
        return response


def validation_problem(errors: Sequence[Mapping[str, str]]) -> Problem:
    """A 422 listing each invalid field (``pointer``) or parameter (``parameter``)."""
    return Problem(ProblemType.VALIDATION, "the request is not valid", errors=errors)


def render_reply(reply: kernel_errors.ErrorReply) -> Response:
    """An HTTP error or a crash, as the problem of its status."""
    kind = _BY_STATUS.get(reply.status) or (
        ProblemType.INTERNAL if reply.status >= 500 else ProblemType.MALFORMED_REQUEST
    )
    problem = Problem(kind, reply.description, headers=reply.headers, status=reply.status)
    return problem.to_response()


def register_error_handlers(app: Flask) -> None:
    """Answer :class:`Problem`, HTTP errors and unexpected exceptions as problem+json."""
    app.register_error_handler(Problem, lambda problem: problem.to_response())
    kernel_errors.register_error_handlers(app, render_reply)
