"""Fixtures of the integration layer: both services as real processes on 127.0.0.1.

``stack`` starts, once per session, a ``redis-server``, the token service and
the API under gunicorn (:mod:`tests.integration.stack`), with a client per
scenario (:mod:`tests.integration.scenarios`), and stops them on teardown
whatever the tests did. A missing ``redis-server`` or gunicorn fails the
layer with what to install; it never skips.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.integration.scenarios import BASIC_CLIENTS, CLIENTS, RATE_LIMIT
from tests.integration.stack import RedisOutage, Stack
from tests.utils.processes import MissingExecutable


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


@pytest.fixture
def redis_outage(stack: Stack) -> Iterator[RedisOutage]:
    """Controls a Redis outage; Redis runs again after the test, even if it failed."""
    outage = RedisOutage(stack)
    try:
        yield outage
    finally:
        outage.end()
