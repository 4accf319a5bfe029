"""The tenant of a request: taken from the verified token, never from the client.

An ``X-Tenant-ID`` header is optional; when present it must name the token's
tenant, otherwise the request is refused with 403 (a client that believes it
acts for another tenant has a configuration error worth surfacing). The tenant
and client ids are bound into the structlog context, so every event logged
while handling the request carries them.
"""

from __future__ import annotations

import structlog
from werkzeug.datastructures import Headers

from apps.api.access_tokens import Principal
from apps.api.errors import Problem, ProblemType

TENANT_HEADER = "X-Tenant-ID"


def enter_tenant(principal: Principal, headers: Headers) -> str:
    """Bind the caller's tenant into the logging context and return it."""
    structlog.contextvars.bind_contextvars(
        tenant_id=principal.tenant, client_id=principal.client_id
    )
    claimed = headers.get(TENANT_HEADER)
    if claimed is not None and claimed != principal.tenant:
        structlog.get_logger(__name__).warning("tenancy.header_mismatch")
        raise Problem(ProblemType.FORBIDDEN, f"{TENANT_HEADER} does not match the token's tenant")
    return principal.tenant
