"""The ``components`` section of the OpenAPI document: schemas, parameters, headers,
reusable responses and the bearer security scheme, plus the small builders the
path items use to refer to them.

Bounds come from :mod:`apps.api.validation` and problem types from
:mod:`apps.api.errors`, the constants the handlers enforce.
"""

from __future__ import annotations

from typing import Any

from apps.api.errors import PROBLEM_MEDIA_TYPE, ProblemType
from apps.api.security import READ_SCOPE, WRITE_SCOPE
from apps.api.tenancy import TENANT_HEADER
from apps.api.validation import (
    CURSOR_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    NAME_MAX_LENGTH,
    PAGE_LIMIT_DEFAULT,
    PAGE_LIMIT_MAX,
)

JSON = "application/json"
Doc = dict[str, Any]

RATE_HEADERS: Doc = {
    name: {"$ref": f"#/components/headers/{name}"}
    for name in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")
}


def ref(kind: str, name: str) -> Doc:
    """A ``$ref`` to ``#/components/<kind>/<name>``."""
    return {"$ref": f"#/components/{kind}/{name}"}


def problem_response(description: str, headers: Doc | None = None) -> Doc:
    """A response object whose body is problem+json."""
    response: Doc = {
        "description": description,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": ref("schemas", "Problem")}},
    }
    if headers:
        response["headers"] = headers
    return response


#: The probes' answers must never be cached: a cached "ok" would hide an outage.
NO_STORE_HEADERS: Doc = {
    "Cache-Control": {"required": True, "schema": {"type": "string", "const": "no-store"}}
}


def json_response(description: str, schema: Doc, headers: Doc | None = None) -> Doc:
    """A response object whose body is application/json matching ``schema``."""
    response: Doc = {"description": description, "content": {JSON: {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


def _schemas() -> Doc:
    name = {"type": "string", "minLength": 1, "maxLength": NAME_MAX_LENGTH}
    description = {"type": "string", "maxLength": DESCRIPTION_MAX_LENGTH}
    timestamp = {"type": "string", "format": "date-time"}
    return {
        "Project": {
            "type": "object",
            "required": ["id", "name", "description", "created_at", "updated_at"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "name": name,
                "description": description,
                "created_at": timestamp,
                "updated_at": timestamp,
            },
        },
        "ProjectCreate": {
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {"name": name, "description": description},
        },
        "ProjectUpdate": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": False,
            "properties": {"name": name, "description": description},
        },
        "ProjectPage": {
            "type": "object",
            "required": ["items", "next_cursor"],
            "additionalProperties": False,
            "properties": {
                "items": {"type": "array", "items": ref("schemas", "Project")},
                "next_cursor": {
                    "type": ["string", "null"],
                    "description": "Pass as `cursor` to get the next page; null on the last.",
                },
            },
        },
        "Problem": {
            "type": "object",
            "description": "RFC 9457 problem details.",
            "required": ["type", "title", "status", "detail", "instance"],
            "properties": {
                "type": {"type": "string", "enum": [kind.uri for kind in ProblemType]},
                "title": {"type": "string"},
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "detail": {"type": "string"},
                "instance": {"type": "string"},
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["detail"],
                        "properties": {
                            "detail": {"type": "string"},
                            "pointer": {"type": "string"},
                            "parameter": {"type": "string"},
                        },
                    },
                },
            },
        },
        "Health": {
            "type": "object",
            "description": "Liveness, in the shape both services answer.",
            "required": ["status"],
            "properties": {"status": {"type": "string", "const": "ok"}},
        },
        "Readiness": {
            "type": "object",
            "description": "Readiness from named checks, in the shape both services answer.",
            "required": ["status", "checks"],
            "properties": {
                "status": {"type": "string", "enum": ["ok", "unavailable"]},
                "checks": {
                    "type": "object",
                    "required": ["database", "keys"],
                    "properties": {
                        "database": {"type": "string", "enum": ["ok", "failing"]},
                        "keys": {"type": "string", "enum": ["ok", "failing"]},
                    },
                },
            },
        },
    }


def components() -> Doc:
    """The document's ``components`` section."""
    integer = {"type": "integer", "minimum": 0}
    unauthorized_challenge = {
        "description": 'Bearer challenge; error="invalid_token" when a token was rejected.',
        "required": True,
        "schema": {"type": "string"},
    }
    return {
        "securitySchemes": {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": (
                    "An RFC 9068 access token (typ at+jwt, EdDSA or ES256) from the token"
                    f" service. Scopes: {READ_SCOPE} for reads, {WRITE_SCOPE} for writes."
                ),
            }
        },
        "schemas": _schemas(),
        "parameters": {
            "ProjectId": {
                "name": "project_id",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
            },
            "TenantId": {
                "name": TENANT_HEADER,
                "in": "header",
                "required": False,
                "description": "If sent, must equal the token's tenant (else 403).",
                "schema": {"type": "string"},
            },
            "Limit": {
                "name": "limit",
                "in": "query",
                "required": False,
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": PAGE_LIMIT_MAX,
                    "default": PAGE_LIMIT_DEFAULT,
                },
            },
            "Cursor": {
                "name": "cursor",
                "in": "query",
                "required": False,
                "description": "The opaque `next_cursor` of the previous page.",
                "schema": {"type": "string", "minLength": 1, "maxLength": CURSOR_MAX_LENGTH},
            },
        },
        "headers": {
            "RateLimit-Limit": {"description": "Requests allowed per window.", "schema": integer},
            "RateLimit-Remaining": {
                "description": "Requests left in the current window.",
                "schema": integer,
            },
            "RateLimit-Reset": {
                "description": "Seconds until the current window ends.",
                "schema": integer,
            },
            "Retry-After": {
                "description": "Seconds to wait before retrying.",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            },
        },
        "responses": {
            "MalformedRequest": problem_response("The body is not valid UTF-8 JSON."),
            "Unauthorized": problem_response(
                "No bearer token, or the token was rejected.",
                {"WWW-Authenticate": unauthorized_challenge},
            ),
            "Forbidden": problem_response(
                "The token lacks the operation's scope (WWW-Authenticate names it),"
                f" or {TENANT_HEADER} names another tenant."
            ),
            "NotFound": problem_response(
                "No project with this id in the caller's tenant.", RATE_HEADERS
            ),
            "PayloadTooLarge": problem_response("The body exceeds the size limit."),
            "UnsupportedMediaType": problem_response("The body is not application/json."),
            "ValidationFailed": problem_response(
                "The request does not match the schema; `errors` lists each problem.",
                RATE_HEADERS,
            ),
            "RateLimited": problem_response(
                "The (tenant, client) rate limit is exhausted.",
                {**RATE_HEADERS, "Retry-After": ref("headers", "Retry-After")},
            ),
        },
    }
