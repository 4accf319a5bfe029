"""The OpenAPI 3.1 description of the API, served at ``GET /openapi.json``.

Every route the app serves is described here with every status it can
answer; error responses are ``application/problem+json``. The reusable parts
live in :mod:`apps.api.openapi_components`.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from apps.api.openapi_components import (
    JSON,
    RATE_HEADERS,
    Doc,
    components,
    json_response,
    ref,
)
from apps.api.security import READ_SCOPE, WRITE_SCOPE

blueprint = Blueprint("openapi", __name__)


def _operation(
    operation_id: str,
    summary: str,
    scope: str,
    responses: Doc,
    *,
    parameters: list[Doc] | None = None,
    body: str | None = None,
) -> Doc:
    errors = {
        "401": ref("responses", "Unauthorized"),
        "403": ref("responses", "Forbidden"),
        "429": ref("responses", "RateLimited"),
    }
    if body is not None:
        errors.update(
            {
                "400": ref("responses", "MalformedRequest"),
                "413": ref("responses", "PayloadTooLarge"),
                "415": ref("responses", "UnsupportedMediaType"),
            }
        )
    operation: Doc = {
        "operationId": operation_id,
        "summary": summary,
        "security": [{"bearerAuth": [scope]}],
        "parameters": [*(parameters or []), ref("parameters", "TenantId")],
        "responses": {**responses, **errors},
    }
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {JSON: {"schema": ref("schemas", body)}},
        }
    return operation


def build_document() -> Doc:
    """The OpenAPI 3.1 document of every route the app serves."""
    project_id = ref("parameters", "ProjectId")
    project = ref("schemas", "Project")
    not_found = ref("responses", "NotFound")
    invalid = ref("responses", "ValidationFailed")
    get_link = {
        "GetProjectById": {
            "operationId": "getProject",
            "parameters": {"project_id": "$response.body#/id"},
        }
    }
    created = json_response("The created project.", project, RATE_HEADERS)
    created["headers"] = {
        **RATE_HEADERS,
        "Location": {"required": True, "schema": {"type": "string"}},
    }
    created["links"] = get_link
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Projects API",
            "version": "1.0.0",
            "description": "Tenant-scoped projects, protected by bearer access tokens.",
        },
        "paths": {
            "/v1/projects": {
                "post": _operation(
                    "createProject",
                    "Create a project",
                    WRITE_SCOPE,
                    {"201": created, "422": invalid},
                    body="ProjectCreate",
                ),
                "get": _operation(
                    "listProjects",
                    "List the tenant's projects, oldest first",
                    READ_SCOPE,
                    {
                        "200": json_response(
                            "A page of projects.", ref("schemas", "ProjectPage"), RATE_HEADERS
                        ),
                        "422": invalid,
                    },
                    parameters=[ref("parameters", "Limit"), ref("parameters", "Cursor")],
                ),
            },
            "/v1/projects/{project_id}": {
                "get": _operation(
                    "getProject",
                    "Get a project",
                    READ_SCOPE,
                    {
                        "200": json_response("The project.", project, RATE_HEADERS),
                        "404": not_found,
                    },
                    parameters=[project_id],
                ),
                "patch": _operation(
                    "updateProject",
                    "Change a project's name or description",
                    WRITE_SCOPE,
                    {
                        "200": json_response("The updated project.", project, RATE_HEADERS),
                        "404": not_found,
                        "422": invalid,
                    },
                    parameters=[project_id],
                    body="ProjectUpdate",
                ),
                "delete": _operation(
                    "deleteProject",
                    "Delete a project",
                    WRITE_SCOPE,
                    {
                        "204": {"description": "Deleted.", "headers": RATE_HEADERS},
                        "404": not_found,
                    },
                    parameters=[project_id],
                ),
            },
            "/healthz": {
                "get": {
                    "operationId": "healthz",
                    "summary": "Liveness",
                    "security": [],
                    "responses": {
                        "200": json_response("The process is up.", ref("schemas", "Health"))
                    },
                }
            },
            "/readyz": {
                "get": {
                    "operationId": "readyz",
                    "summary": "Readiness: database reachable and keys loaded",
                    "security": [],
                    "responses": {
                        "200": json_response("Ready.", ref("schemas", "Readiness")),
                        "503": json_response("Not ready.", ref("schemas", "Readiness")),
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "security": [],
                    "responses": {
                        "200": json_response("The OpenAPI document.", {"type": "object"})
                    },
                }
            },
        },
        "components": components(),
    }


@blueprint.get("/openapi.json", provide_automatic_options=False)
def openapi_json() -> Response:
    return jsonify(build_document())
