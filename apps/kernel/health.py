"""Liveness and readiness probes, one JSON shape for both services.

``GET /healthz`` answers 200 ``{"status": "ok"}`` while the process can serve
requests at all. ``GET /readyz`` runs the app's named checks and answers 200
``{"status": "ok", "checks": {name: "ok", ...}}`` when every check passes,
else 503 with ``"status": "unavailable"`` and each failed check ``"failing"``.
A check that raises counts as failing (readiness fails closed); it is logged
by exception type only. Both answers carry ``Cache-Control: no-store``: a
cached "ok" would hide an outage. Neither needs credentials.

Each ``create_app`` names its checks, built from its own collaborators::

    init_health(app, {"database": database.ping, "keys": verifier.ready})
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

import structlog
from flask import Blueprint, Flask, Response, current_app, jsonify

Check = Callable[[], bool]
OK = "ok"
FAILING = "failing"
UNAVAILABLE = "unavailable"
_EXTENSION = "apps.kernel.health"

blueprint = Blueprint("health", __name__)


def init_health(app: Flask, checks: Mapping[str, Check]) -> None:
    """Serve ``/healthz`` and ``/readyz`` on ``app``; readiness runs ``checks`` by name."""
    if not checks:
        raise ValueError("readiness needs at least one check")
    app.extensions[_EXTENSION] = MappingProxyType(dict(checks))
    app.register_blueprint(blueprint)


@blueprint.get("/healthz")
def healthz() -> Response:
    return _no_store(jsonify({"status": OK}))


@blueprint.get("/readyz")
def readyz() -> Response:
    checks: Mapping[str, Check] = current_app.extensions[_EXTENSION]
    states = {name: OK if _passes(name, check) else FAILING for name, check in checks.items()}
    ready = all(state == OK for state in states.values())
    response = jsonify({"status": OK if ready else UNAVAILABLE, "checks": states})
    response.status_code = 200 if ready else 503
    return _no_store(response)


def _passes(name: str, check: Check) -> bool:
    try:
        return check() is True
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        structlog.get_logger(__name__).warning(
            "health.check_failed", check=name, error_type=type(exc).__name__
        )
        return False


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
