"""Client records from the remote directory service (httpx MockTransport)."""

from __future__ import annotations

import json

import httpx
import pytest

from apps.auth_service.clients import RegistryUnavailable
from apps.auth_service.directory import DirectoryClientRegistry, directory_retry_policy
from tests.unit.auth.configuration import (
    BASIC_CLIENT,
    BASIC_SECRET,
    basic_auth,
    request_basic_token,
)
from tests.utils.slow_server import SlowFailure

BASE = "https://directory.internal/v1"


@pytest.fixture
def basic_record(config_data):
    return dict(config_data["clients"][0])


def _registry(make_http_client, clock, handler, retries=2, budget=5.0, timeout=2.0):
    return DirectoryClientRegistry(
        make_http_client(handler),
        BASE + "/",
        retry=directory_retry_policy(retries=retries, budget_seconds=budget),
        timeout=timeout,
        sleep=clock.sleep,
        clock=clock.monotonic,
    )


def test_directory__returns_parsed_record(make_http_client, clock, basic_record):
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json=basic_record)

    record = _registry(make_http_client, clock, handler).get(BASIC_CLIENT)

    assert record is not None
    assert record.tenant == "acme"
    assert str(seen[0].url) == f"{BASE}/clients/{BASIC_CLIENT}"
    assert seen[0].method == "GET"
    assert seen[0].headers["Accept"] == "application/json"


def test_directory__404_is_unknown_client(make_http_client, clock):
    assert _registry(make_http_client, clock, lambda r: httpx.Response(404)).get("svc-x") is None


def test_directory__malformed_client_id_is_never_requested(make_http_client, clock):
    calls = []
    registry = _registry(make_http_client, clock, lambda r: calls.append(r) or httpx.Response(404))
    assert registry.get("../admin") is None
    assert registry.get("a/b") is None
    assert calls == []


def test_directory__retries_transport_errors_then_succeeds(make_http_client, clock, basic_record):
    attempts = []

    def handler(request):
        attempts.append(request)
        if len(attempts) < 3:
            raise httpx.ConnectTimeout("timed out", request=request)
        return httpx.Response(200, json=basic_record)

    assert _registry(make_http_client, clock, handler).get(BASIC_CLIENT) is not None
    assert len(attempts) == 3
    first, second = clock.sleeps
    assert 0 <= first <= 0.05
    assert 0 <= second <= 0.1


def test_directory__waits_are_jittered_full_range(make_http_client, clock):
    """Workers that failed together must not retry together: waits are random in [0, cap]."""
    registry = _registry(make_http_client, clock, lambda r: httpx.Response(503), retries=5)
    for _ in range(30):
        with pytest.raises(RegistryUnavailable):
            registry.get(BASIC_CLIENT)
    caps = [0.05, 0.1, 0.2, 0.4, 0.8]
    runs = [clock.sleeps[i : i + 5] for i in range(0, len(clock.sleeps), 5)]
    assert len(runs) == 30
    assert all(0 <= wait <= cap for run in runs for wait, cap in zip(run, caps, strict=True))
    assert len({run[0] for run in runs}) > 20  # not one fixed backoff


def test_directory__later_waits_are_capped(make_http_client, clock):
    registry = _registry(make_http_client, clock, lambda r: httpx.Response(503), retries=5)
    with pytest.raises(RegistryUnavailable):
        registry.get(BASIC_CLIENT)
    assert len(clock.sleeps) == 5
    assert all(wait <= 1.0 for wait in clock.sleeps)


def test_directory__total_time_is_bounded(make_http_client, clock):
    """Slow failures stop the retries once the budget is spent, whatever the attempts left."""
    directory = SlowFailure(clock, seconds=0.9)  # a shorter timeout cuts the wait short
    with pytest.raises(RegistryUnavailable):
        _registry(make_http_client, clock, directory, retries=5, budget=2.0).get(BASIC_CLIENT)
    timeouts = directory.timeouts
    assert clock.monotonic() <= 2.0 + 1e-9  # (float rounding of the last timeout)
    assert len(timeouts) == 3  # far fewer than the 6 attempts allowed
    assert timeouts[0] == 2.0
    # Each later attempt may only wait for what is left of the budget.
    assert timeouts[1] == pytest.approx(2.0 - 0.9 - clock.sleeps[0])
    assert timeouts[2] < 2.0 - 1.8


def test_directory__gives_up_after_bounded_retries(make_http_client, clock):
    attempts = []

    def handler(request):
        attempts.append(request)
        return httpx.Response(502)

    with pytest.raises(RegistryUnavailable, match="502"):
        _registry(make_http_client, clock, handler, retries=2).get(BASIC_CLIENT)
    assert len(attempts) == 3
    assert len(clock.sleeps) == 2


def test_directory__transport_error_after_retries(make_http_client, clock):
    def handler(request):
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(RegistryUnavailable, match="ConnectError"):
        _registry(make_http_client, clock, handler, retries=0).get(BASIC_CLIENT)
    assert clock.sleeps == []


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, content=b"{not json"),
        httpx.Response(200, json=["a", "list"]),
        httpx.Response(200, json={"client_id": BASIC_CLIENT}),
        httpx.Response(401),
        httpx.Response(200, content=b"x" * 70_000),
    ],
)
def test_directory__unusable_answers_fail_closed(make_http_client, clock, response):
    with pytest.raises(RegistryUnavailable):
        _registry(make_http_client, clock, lambda r: response).get(BASIC_CLIENT)


def test_directory__record_for_another_client_is_refused(make_http_client, clock, basic_record):
    other = {**basic_record, "client_id": "svc-other"}
    with pytest.raises(RegistryUnavailable, match="invalid client record"):
        _registry(make_http_client, clock, lambda r: httpx.Response(200, json=other)).get(
            BASIC_CLIENT
        )


def test_token__directory_client_gets_token(
    make_app, config_data, make_settings, make_http_client, basic_record
):
    records = {BASIC_CLIENT: basic_record}
    config_data["registry"] = {"source": "directory", "url": BASE}
    del config_data["clients"]

    def handler(request):
        client_id = request.url.path.rsplit("/", 1)[-1]
        if client_id in records:
            return httpx.Response(200, content=json.dumps(records[client_id]))
        return httpx.Response(404)

    app = make_app(settings=make_settings(), http_client=make_http_client(handler))
    with app.test_client() as client:
        ok = request_basic_token(client)
        unknown = client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers=basic_auth("svc-nobody", BASIC_SECRET),
        )
        metadata = client.get("/.well-known/oauth-authorization-server").get_json()
    assert ok.status_code == 200
    assert unknown.status_code == 401
    assert "scopes_supported" not in metadata
