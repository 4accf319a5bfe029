"""Redis stops: the token service fails closed, the API fails open; both recover."""

from __future__ import annotations

import uuid

from tests.integration.stack import wait_for


def events_of(service, event, request_id):
    return wait_for(
        lambda: [
            e
            for e in service.events()
            if e.get("event") == event and e.get("request_id") == request_id
        ],
        timeout=5,
        what=f"{service.name} event {event} for {request_id}",
    )


def test_redis_outage__auth_fails_closed_api_fails_open_and_both_recover(
    stack, http, obtain_token, projects_url, redis_outage
):
    auth = {"Authorization": f"Bearer {obtain_token('it-redis')}"}
    assert "RateLimit-Limit" in http.get(projects_url, headers=auth).headers

    redis_outage.begin()

    auth_id, api_id = f"it-down-{uuid.uuid4().hex}", f"it-down-{uuid.uuid4().hex}"
    refused = stack.request_token(http, "it-redis", request_id=auth_id)
    assert refused.status_code == 503
    assert refused.json()["error"] == "temporarily_unavailable"
    assert refused.headers["Cache-Control"] == "no-store"
    auth_ready = http.get(f"{stack.auth.base_url}/readyz")
    assert auth_ready.status_code == 503
    assert auth_ready.json() == {
        "status": "unavailable",
        "checks": {"keys": "ok", "replay_cache": "failing"},
    }
    failed = events_of(stack.auth, "auth.dependency_failed", auth_id)
    # The failed-authentication throttle, in the same Redis, is asked first.
    assert failed[0]["dependency"] == "throttle"

    served = http.get(projects_url, headers={**auth, "X-Request-ID": api_id})
    assert served.status_code == 200  # the documented decision: fail open
    assert "RateLimit-Limit" not in served.headers
    assert http.get(f"{stack.api.base_url}/readyz").status_code == 200
    storage_error = events_of(stack.api, "rate_limit.storage_error", api_id)
    assert storage_error[0]["decision"] == "fail_open"

    redis_outage.end()  # same port; waits until the token service is ready

    assert obtain_token("it-redis")
    limited_again = wait_for(
        lambda: "RateLimit-Limit" in http.get(projects_url, headers=auth).headers,
        timeout=10,
        what="the API to count requests in Redis again",
    )
    assert limited_again
