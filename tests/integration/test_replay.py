"""The replay cache is shared through Redis: a replay to the other auth worker is refused."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from tests.integration.held_request import HeldRequest
from tests.integration.stack import wait_for

FORM = "application/x-www-form-urlencoded"


def test_replay__assertion_replayed_to_the_other_auth_worker_is_rejected(
    stack, http, token_endpoint
):
    client = stack.clients["it-replay"]
    body = urlencode(client.token_form(client.assertion(token_endpoint))).encode()
    first_id, replay_id = f"it-first-{uuid.uuid4().hex}", f"it-replay-{uuid.uuid4().hex}"

    # The held request occupies one worker, so the first use goes to the other;
    # the held one then carries the replay to the worker that has not seen it.
    with HeldRequest(stack.auth.base_url, "POST", "/oauth/token") as held:
        first = http.post(
            token_endpoint,
            content=body,
            headers={"Content-Type": FORM, "X-Request-ID": first_id},
        )
        replay = held.finish({"Content-Type": FORM, "X-Request-ID": replay_id}, body)

    assert first.status_code == 200, first.text
    assert replay.status == 401
    assert replay.json()["error"] == "invalid_client"
    first_worker, replay_worker = stack.auth.served_by(first_id), stack.auth.served_by(replay_id)
    assert first_worker != replay_worker
    assert {first_worker, replay_worker} == stack.auth.worker_pids()

    detected = wait_for(
        lambda: [
            e
            for e in stack.auth.events()
            if e.get("event") == "auth.replay_detected" and e.get("request_id") == replay_id
        ],
        timeout=5,
        what="the auth.replay_detected event",
    )
    assert detected[0]["client_id"] == "it-replay"
    assert detected[0]["reason"] == "replayed_assertion"
