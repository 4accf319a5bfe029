"""The collaborators one app instance uses, kept in ``app.extensions``."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from apps.api.access_tokens import AccessTokenVerifier
from apps.api.metrics import ApiMetrics
from apps.api.rate_limit import RateLimiter
from apps.api.settings import Settings
from apps.api.storage.database import Database
from apps.api.storage.projects import IdFactory
from apps.kernel.clock import Clock

EXTENSION_KEY = "apps.api"


@dataclass(frozen=True)
class ApiServices:
    """Everything a request handler needs, built once by ``create_app``."""

    settings: Settings
    verifier: AccessTokenVerifier
    limiter: RateLimiter
    database: Database
    metrics: ApiMetrics
    clock: Clock
    new_project_id: IdFactory

    def install(self, app: Flask) -> None:
        app.extensions[EXTENSION_KEY] = self


def current_services() -> ApiServices:
    services: ApiServices = current_app.extensions[EXTENSION_KEY]
    return services
