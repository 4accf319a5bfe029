"""The clients and the rate limit of the integration session.

Each scenario has its own client of the token service, each client its own
tenant, so rate-limit windows, replay-cache entries and projects of one test
never affect another.
"""

from __future__ import annotations

#: Clients that authenticate with private_key_jwt, one per scenario.
CLIENTS = (
    "it-lifecycle",
    "it-replay",
    "it-rotation",
    "it-emergency",
    "it-rate-limit",
    "it-redis",
    "it-schema",
    "it-logs",
    "it-metrics",
    "it-authlib-jwt",
)
#: Clients that authenticate with client_secret_basic.
BASIC_CLIENTS = ("it-authlib-basic", "it-throttle")
#: Requests per (tenant, client) and minute: above what schemathesis sends,
#: small enough for the rate-limit scenario to exhaust in about a second.
RATE_LIMIT = 300
