"""Prometheus metrics of the token service, on an app-owned registry.

The app never serves them: the reasons of failed authentications would tell
which client ids exist. Under gunicorn the metrics listener of
``apps.kernel.gunicorn`` serves every worker's figures on a private port.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter


class AuthMetrics:
    """Counters for issued tokens, refused requests and failing dependencies."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.tokens_issued = Counter(
            "auth_tokens_issued",
            "Access tokens issued, by client authentication method.",
            ["auth_method"],
            registry=registry,
        )
        self.token_errors = Counter(
            "auth_token_errors",
            "Token requests refused, by OAuth error code.",
            ["error"],
            registry=registry,
        )
        self.authentication_failures = Counter(
            "auth_client_authentication_failures",
            "Failed client authentications, by reason.",
            ["reason"],
            registry=registry,
        )
        self.replays_detected = Counter(
            "auth_replay_detected",
            "Client assertions refused because their jti was already used.",
            registry=registry,
        )
        self.throttled = Counter(
            "auth_throttled_requests",
            "Token requests refused with 429 before authentication, by spent budget"
            " (client, address).",
            ["limit"],
            registry=registry,
        )
        self.dependency_failures = Counter(
            "auth_dependency_failures",
            "Requests refused (fail closed) because a dependency failed.",
            ["dependency"],
            registry=registry,
        )
