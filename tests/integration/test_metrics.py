"""Metrics: never on the public port; on a private listener, summed over every worker."""

from __future__ import annotations

import os
import signal
import uuid
from urllib.parse import urlencode

import pytest

from tests.integration.held_request import HeldRequest
from tests.integration.metrics_scrape import sample
from tests.integration.stack import wait_for

FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize("service", ["auth", "api"])
def test_metrics__not_served_on_the_public_port(stack, http, service):
    """Failure reasons there told which client ids exist (and why tokens were refused)."""
    running = getattr(stack, service)
    response = http.get(f"{running.base_url}/metrics")
    assert response.status_code == 404
    assert response.headers["Content-Type"].split(";")[0] in {
        "application/json",
        "application/problem+json",
    }
    assert "auth_client_authentication_failures" not in response.text
    # gunicorn adds "Server: gunicorn" itself, without a version; the apps add nothing.
    assert response.headers.get("Server") == "gunicorn"


def test_metrics__listener_sums_the_tokens_issued_by_both_auth_workers(stack, http, token_endpoint):
    auth, client = stack.auth, stack.clients["it-metrics"]
    name = "auth_tokens_issued_total"
    before = sample(http, auth.metrics_url, name, auth_method="private_key_jwt")
    run = uuid.uuid4().hex
    first_id, held_id = f"it-metrics-{run}-a", f"it-metrics-{run}-b"
    body = urlencode(client.token_form(client.assertion(token_endpoint))).encode()
    with HeldRequest(auth.base_url, "POST", "/oauth/token") as held:
        first = stack.request_token(http, "it-metrics", request_id=first_id)
        second = held.finish({"Content-Type": FORM, "X-Request-ID": held_id}, body)
    assert (first.status_code, second.status) == (200, 200)
    assert {auth.served_by(first_id), auth.served_by(held_id)} == auth.worker_pids()

    after = sample(http, auth.metrics_url, name, auth_method="private_key_jwt")
    assert after - before == 2
    assert sample(http, auth.metrics_url, "gunicorn_workers") == 2


def test_metrics__a_dead_worker_is_marked_and_its_counts_are_kept(stack, http, projects_url):
    """child_exit marks the worker dead (live gauges drop it); counters keep its figures."""
    api = stack.api
    rejected = {"Authorization": "Bearer not-a-token"}
    name = "api_token_rejections_total"
    before = sample(http, api.metrics_url, name, reason="malformed")
    run = uuid.uuid4().hex
    with HeldRequest(api.base_url, "GET", "/v1/projects") as held:
        one = http.get(projects_url, headers={**rejected, "X-Request-ID": f"it-dead-{run}-a"})
        other = held.finish({**rejected, "X-Request-ID": f"it-dead-{run}-b"})
    assert (one.status_code, other.status) == (401, 401)
    victim = api.served_by(f"it-dead-{run}-a")
    old_workers = api.worker_pids()

    os.kill(victim, signal.SIGKILL)
    wait_for(
        lambda: len(api.worker_pids()) == 2 and victim not in api.worker_pids(),
        timeout=20,
        what="gunicorn to replace the killed API worker",
    )
    api.wait_ready(timeout=20)

    assert sample(http, api.metrics_url, name, reason="malformed") - before == 2
    # /readyz may have been answered by the surviving worker before the new one
    # ran post_fork (which sets its gauge): wait for it instead of racing it.
    wait_for(
        lambda: sample(http, api.metrics_url, "gunicorn_workers") == 2,
        timeout=10,
        what="the new API worker to count itself live",
    )
    assert api.worker_pids() != old_workers
