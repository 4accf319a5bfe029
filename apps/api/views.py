"""The ``/v1/projects`` resource: create, read, list, update and delete.

Every view runs behind :func:`guarded`, which authenticates the caller, checks
the route's scope, enters the token's tenant and counts the request against the
(tenant, client) rate limit, in that order. The views only ever pass that
tenant to the store, so a project of another tenant answers 404.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec

from flask import Blueprint, Response, g, jsonify, request, url_for

from apps.api.errors import Problem, ProblemType
from apps.api.rate_limit import RateLimitDecision
from apps.api.security import READ_SCOPE, WRITE_SCOPE, authenticate
from apps.api.services import current_services
from apps.api.storage.projects import ProjectStore
from apps.api.tenancy import enter_tenant
from apps.api.validation import (
    decode_cursor,
    encode_cursor,
    parse_page_limit,
    read_json_object,
    validate_create,
    validate_update,
)

P = ParamSpec("P")

blueprint = Blueprint("projects", __name__, url_prefix="/v1/projects")


def guarded(scope: str) -> Callable[[Callable[P, Response]], Callable[P, Response]]:
    """Authenticate, authorise ``scope``, enter the tenant and rate-limit, then run the view."""

    def decorate(view: Callable[P, Response]) -> Callable[P, Response]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
            services = current_services()
            principal = authenticate(request, services.verifier, services.metrics, scope)
            g.tenant = enter_tenant(principal, request.headers)
            decision = services.limiter.hit(principal.tenant, principal.client_id)
            g.rate_limit = decision
            if decision is not None and not decision.allowed:
                raise Problem(
                    ProblemType.RATE_LIMITED,
                    "the rate limit for this client is exhausted; retry later",
                    headers=decision.headers(),
                )
            return view(*args, **kwargs)

        return wrapper

    return decorate


@blueprint.after_request
def add_rate_limit_headers(response: Response) -> Response:
    decision: RateLimitDecision | None = g.get("rate_limit")
    if decision is not None:
        response.headers.update(decision.headers())
    return response


def project_store() -> ProjectStore:
    services = current_services()
    return ProjectStore(
        services.database.connection(), clock=services.clock, new_id=services.new_project_id
    )


def not_found(project_id: str) -> Problem:
    return Problem(ProblemType.NOT_FOUND, f"there is no project with id {project_id!r}")


@blueprint.post("")
@guarded(WRITE_SCOPE)
def create_project() -> Response:
    body = read_json_object(request, current_services().settings.max_body_bytes)
    name, description = validate_create(body)
    project = project_store().create(g.tenant, name=name, description=description)
    response = jsonify(project.to_json())
    response.status_code = 201
    response.headers["Location"] = url_for("projects.get_project", project_id=project.id)
    return response


@blueprint.get("")
@guarded(READ_SCOPE)
def list_projects() -> Response:
    limit = parse_page_limit(request.args.get("limit"))
    after = decode_cursor(request.args.get("cursor"))
    page = project_store().list_page(g.tenant, after=after, limit=limit)
    next_cursor = None if page.next_after is None else encode_cursor(page.next_after)
    return jsonify({"items": [p.to_json() for p in page.items], "next_cursor": next_cursor})


@blueprint.get("/<project_id>")
@guarded(READ_SCOPE)
def get_project(project_id: str) -> Response:
    project = project_store().get(g.tenant, project_id)
    if project is None:
        raise not_found(project_id)
    return jsonify(project.to_json())


@blueprint.patch("/<project_id>")
@guarded(WRITE_SCOPE)
def update_project(project_id: str) -> Response:
    body = read_json_object(request, current_services().settings.max_body_bytes)
    changes = validate_update(body)
    project = project_store().update(
        g.tenant, project_id, name=changes.name, description=changes.description
    )
    if project is None:
        raise not_found(project_id)
    return jsonify(project.to_json())


@blueprint.delete("/<project_id>")
@guarded(WRITE_SCOPE)
def delete_project(project_id: str) -> Response:
    if not project_store().delete(g.tenant, project_id):
        raise not_found(project_id)
    return Response(status=204)
