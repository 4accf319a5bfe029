"""Reading and validating request bodies and query parameters.

The bounds here are the ones :mod:`apps.api.openapi` publishes, so the
document and the behaviour cannot drift apart. Failures raise
:class:`~apps.api.errors.Problem`: 413 for a body over the limit, 415 for a
body that is not ``application/json``, 400 for bytes that are not JSON, 422 for
JSON that does not match the schema (every invalid field listed).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from flask import Request

from apps.api.errors import Problem, ProblemType, validation_problem

NAME_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 2000
PAGE_LIMIT_DEFAULT = 20
PAGE_LIMIT_MAX = 100
CURSOR_MAX_LENGTH = 200
#: The largest position a cursor may name: SQLite integers are signed 64-bit.
CURSOR_MAX_POSITION = 2**63 - 1
PROJECT_FIELDS = frozenset({"name", "description"})

_DIGITS = re.compile(r"[0-9]{1,6}")


@dataclass(frozen=True)
class ProjectChanges:
    """Validated project fields; None means "not given" (only in updates)."""

    name: str | None
    description: str | None


def read_json_object(request: Request, max_bytes: int) -> dict[str, Any]:
    """The request body as a JSON object, or a :class:`Problem` saying why not."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise Problem(ProblemType.PAYLOAD_TOO_LARGE, f"the body exceeds {max_bytes} bytes")
    if request.mimetype != "application/json":
        raise Problem(ProblemType.UNSUPPORTED_MEDIA_TYPE, "the body must be application/json")
    raw = request.get_data(cache=False)
    if len(raw) > max_bytes:
        raise Problem(ProblemType.PAYLOAD_TOO_LARGE, f"the body exceeds {max_bytes} bytes")
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        # ValueError covers bad UTF-8 and bad JSON; RecursionError absurd nesting.
        raise Problem(ProblemType.MALFORMED_REQUEST, "the body is not valid UTF-8 JSON") from None
    if not isinstance(body, dict):
        raise validation_problem([{"pointer": "#", "detail": "must be a JSON object"}])
    return body


def validate_create(body: dict[str, Any]) -> tuple[str, str]:
    """The (name, description) of a new project."""
    errors = _unknown_fields(body)
    if "name" not in body:
        errors.append({"pointer": "#/name", "detail": "is required"})
    changes = _check_fields(body, errors)
    if errors or changes.name is None:
        raise validation_problem(errors)
    return changes.name, changes.description or ""


def validate_update(body: dict[str, Any]) -> ProjectChanges:
    """The fields a PATCH changes (at least one)."""
    errors = _unknown_fields(body)
    if not body:
        errors.append({"pointer": "#", "detail": "must change at least one field"})
    changes = _check_fields(body, errors)
    if errors:
        raise validation_problem(errors)
    return changes


def parse_page_limit(raw: str | None) -> int:
    if raw is None:
        return PAGE_LIMIT_DEFAULT
    if _DIGITS.fullmatch(raw) is None or not 1 <= int(raw) <= PAGE_LIMIT_MAX:
        detail = f"must be an integer from 1 to {PAGE_LIMIT_MAX}"
        raise validation_problem([{"parameter": "limit", "detail": detail}])
    return int(raw)


def encode_cursor(after: int) -> str:
    """An opaque cursor for "the projects after position ``after``"."""
    payload = json.dumps({"after": after}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload).rstrip(b"=").decode("ascii")


def decode_cursor(raw: str | None) -> int:
    """The position a cursor stands for (0 when there is no cursor)."""
    if raw is None:
        return 0
    invalid = validation_problem([{"parameter": "cursor", "detail": "is not a valid cursor"}])
    if not 0 < len(raw) <= CURSOR_MAX_LENGTH:
        raise invalid
    try:
        padded = raw + "=" * (-len(raw) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (UnicodeError, binascii.Error, ValueError):
        raise invalid from None
    after = decoded.get("after") if isinstance(decoded, dict) else None
    if isinstance(after, bool) or not isinstance(after, int):
        raise invalid
    if not 0 <= after <= CURSOR_MAX_POSITION:
        raise invalid
    return after


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _unknown_fields(body: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"pointer": f"#/{_escape_pointer(name)}", "detail": "is not a known field"}
        for name in sorted(set(body) - PROJECT_FIELDS)
    ]


def _check_fields(body: dict[str, Any], errors: list[dict[str, str]]) -> ProjectChanges:
    name = _check_text(body, "name", 1, NAME_MAX_LENGTH, errors)
    description = _check_text(body, "description", 0, DESCRIPTION_MAX_LENGTH, errors)
    return ProjectChanges(name, description)


def _check_text(
    body: dict[str, Any], field: str, min_length: int, max_length: int, errors: list[dict[str, str]]
) -> str | None:
    if field not in body:
        return None
    value = body[field]
    pointer = f"#/{field}"
    if not isinstance(value, str):
        errors.append({"pointer": pointer, "detail": "must be a string"})
        return None
    if not min_length <= len(value) <= max_length:
        detail = f"must be {min_length} to {max_length} characters long"
        errors.append({"pointer": pointer, "detail": detail})
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        # Lone surrogates (from "\ud800" escapes) cannot be stored as text.
        errors.append({"pointer": pointer, "detail": "must be valid Unicode text"})
        return None
    return value


def _escape_pointer(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")
