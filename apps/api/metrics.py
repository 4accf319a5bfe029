"""Prometheus metrics of the API, registered on an app-owned registry.

The registry is passed in (never the process-global default), so two apps in
one process, or two tests, never share counters.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter


@dataclass(frozen=True)
class ApiMetrics:
    """The counters the API's collaborators increment."""

    registry: CollectorRegistry
    jwks_fetches: Counter
    token_rejections: Counter
    rate_limited: Counter
    rate_limit_storage_errors: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry | None = None) -> ApiMetrics:
        """Register the API's counters on ``registry`` (a new private one by default)."""
        registry = registry if registry is not None else CollectorRegistry()
        return cls(
            registry=registry,
            jwks_fetches=Counter(
                "api_jwks_fetches",
                "JWKS fetches from the token service, by outcome (ok, error).",
                ["outcome"],
                registry=registry,
            ),
            token_rejections=Counter(
                "api_token_rejections",
                "Bearer tokens rejected, by reason.",
                ["reason"],
                registry=registry,
            ),
            rate_limited=Counter(
                "api_rate_limited",
                "Requests refused with 429 by the per (tenant, client) rate limit.",
                registry=registry,
            ),
            rate_limit_storage_errors=Counter(
                "api_rate_limit_storage_errors",
                "Rate-limit storage failures; each such request was let through (fail open).",
                registry=registry,
            ),
        )
