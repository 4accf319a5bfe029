"""Liveness and readiness probes.

``/healthz`` answers 200 while the process can serve requests at all.
``/readyz`` answers 200 only when the database can be queried and verification
keys are loaded (fetching them if needed), else 503 naming the failed check.
Neither needs a token, and neither is rate-limited.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from apps.api.services import current_services

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz", provide_automatic_options=False)
def healthz() -> Response:
    return jsonify({"status": "ok"})


@blueprint.get("/readyz", provide_automatic_options=False)
def readyz() -> Response:
    services = current_services()
    checks = {
        "database": "ok" if services.database.ping() else "failing",
        "keys": "ok" if services.verifier.ready() else "failing",
    }
    ready = all(state == "ok" for state in checks.values())
    response = jsonify({"status": "ok" if ready else "unavailable", "checks": checks})
    response.status_code = 200 if ready else 503
    return response
