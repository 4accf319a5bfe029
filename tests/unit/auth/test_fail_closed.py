"""The token endpoint fails closed when the replay cache or directory cannot answer."""

from __future__ import annotations

import httpx

from apps.auth_service.replay_cache import RedisReplayCache
from tests.unit.auth.configuration import assertion_form, request_basic_token
from tests.unit.auth.fakes import FailingRedis
from tests.utils.logging import metric_value


def test_token__redis_error_gives_503_logged_and_counted(
    make_app, make_assertion, metrics_registry, events
):
    app = make_app(replay_cache=RedisReplayCache(FailingRedis()))
    with app.test_client() as client:
        response = client.post("/oauth/token", data=assertion_form(make_assertion()))

    assert response.status_code == 503
    assert response.get_json()["error"] == "temporarily_unavailable"
    assert response.headers["Cache-Control"] == "no-store"
    assert (
        metric_value(metrics_registry, "auth_dependency_failures_total", dependency="replay_cache")
        == 1
    )
    failures = [e for e in events if e["event"] == "auth.dependency_failed"]
    assert failures[0]["dependency"] == "replay_cache"
    assert failures[0]["log_level"] == "error"
    assert not any(e["event"] == "auth.token_issued" for e in events)


def test_readyz__503_when_redis_unreachable(make_app):
    app = make_app(replay_cache=RedisReplayCache(FailingRedis()))
    with app.test_client() as client:
        assert client.get("/readyz").status_code == 503


def test_token__basic_client_needs_no_replay_cache(make_app):
    """Only assertions use the replay cache; secret clients still get tokens."""
    app = make_app(replay_cache=RedisReplayCache(FailingRedis()))
    with app.test_client() as client:
        response = request_basic_token(client)
    assert response.status_code == 200


def test_token__directory_outage_gives_503(
    make_app, config_data, make_settings, make_http_client, clock, metrics_registry
):
    config_data["registry"] = {
        "source": "directory",
        "url": "https://directory.internal",
        "retries": 1,
    }
    attempts = []
    http = make_http_client(lambda request: attempts.append(request) or httpx.Response(503))
    app = make_app(settings=make_settings(), http_client=http, sleep=clock.sleep)
    with app.test_client() as client:
        response = request_basic_token(client)
    assert response.status_code == 503
    assert (
        metric_value(metrics_registry, "auth_dependency_failures_total", dependency="registry") == 1
    )
    assert len(attempts) == 2
    (wait,) = clock.sleeps
    assert 0 <= wait <= 0.05
