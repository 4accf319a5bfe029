"""The collaborators one app instance uses, kept in ``app.extensions``."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from apps.auth_service.client_auth import ClientAuthenticator
from apps.auth_service.keys import KeySet
from apps.auth_service.metrics import AuthMetrics
from apps.auth_service.replay_cache import ReplayCache
from apps.auth_service.settings import Settings
from apps.auth_service.throttle import FailureThrottle
from apps.auth_service.tokens import TokenIssuer
from apps.kernel.clock import Clock

EXTENSION_KEY = "apps.auth_service"


@dataclass(frozen=True)
class AuthServices:
    """Everything a request handler needs, built once by ``create_app``."""

    settings: Settings
    key_set: KeySet
    authenticator: ClientAuthenticator
    issuer: TokenIssuer
    replay_cache: ReplayCache
    throttle: FailureThrottle
    metrics: AuthMetrics
    clock: Clock

    def install(self, app: Flask) -> None:
        app.extensions[EXTENSION_KEY] = self


def current_services() -> AuthServices:
    services: AuthServices = current_app.extensions[EXTENSION_KEY]
    return services
