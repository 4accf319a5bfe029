"""Fixtures of the integration layer: both services as real processes on 127.0.0.1.

Once per session, ``stack`` starts a ``redis-server`` (random port, temporary
directory, no persistence), the token service and the API, each under
gunicorn with two workers, from generated config and key files; the API reads
the token service's JWKS and both use Redis (replay cache, rate limits). It
waits for ``/readyz`` of both (bounded) and stops every process on teardown,
whatever the tests did. A missing ``redis-server`` or gunicorn fails the
layer with what to install; it never skips.

Each scenario has its own client of the token service (``CLIENTS``), each
client its own tenant, so rate-limit windows, replay-cache entries and
projects of one test never affect another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.integration.stack import Stack
from tests.utils.processes import MissingExecutable

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


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Redis, the token service and the API, running for the whole session."""
    services = Stack(
        tmp_path_factory.mktemp("stack"),
        CLIENTS,
        rate_limit=f"{RATE_LIMIT}/minute",
        basic_client_ids=BASIC_CLIENTS,
    )
    missing = None
    try:
        services.start()
    except MissingExecutable as exc:
        missing = str(exc)
    if missing is not None:  # outside the except block: one message, no chained traceback
        pytest.fail(f"the integration layer cannot run: {missing}", pytrace=False)
    try:
        yield services
    finally:
        services.close()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    """A plain HTTP client (gunicorn's sync workers close every connection)."""
    with httpx.Client(timeout=10.0) as client:
        yield client


@pytest.fixture
def token_endpoint(stack: Stack) -> str:
    return stack.token_endpoint


@pytest.fixture
def projects_url(stack: Stack) -> str:
    assert stack.api is not None
    return f"{stack.api.base_url}/v1/projects"


@pytest.fixture
def obtain_token(stack: Stack, http: httpx.Client) -> Callable[[str], str]:
    """``obtain_token(client_id)``: an access token over HTTP, via a fresh assertion."""

    def obtain(client_id: str) -> str:
        response = stack.request_token(http, client_id)
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    return obtain


class RedisOutage:
    """Stops Redis and brings it back on the same port."""

    def __init__(self, stack: Stack) -> None:
        self._stack = stack

    def begin(self) -> None:
        assert self._stack.redis is not None
        self._stack.redis.stop()

    def end(self) -> None:
        """Restart Redis if it is down and wait until the token service is ready again."""
        redis, auth = self._stack.redis, self._stack.auth
        assert redis is not None
        assert auth is not None
        if redis.process is None:
            redis.start()
        auth.wait_ready(timeout=15)


@pytest.fixture
def redis_outage(stack: Stack) -> Iterator[RedisOutage]:
    """Controls a Redis outage; Redis runs again after the test, even if it failed."""
    outage = RedisOutage(stack)
    try:
        yield outage
    finally:
        outage.end()
