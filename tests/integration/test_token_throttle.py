"""Failed authentications are counted in Redis: the budget holds across both auth workers."""

from __future__ import annotations

import base64
import uuid
from urllib.parse import urlencode

from tests.integration.credentials import FAILURES_PER_CLIENT
from tests.integration.held_request import HeldRequest

FORM_TYPE = "application/x-www-form-urlencoded"
BODY = urlencode({"grant_type": "client_credentials"}).encode()


def _basic(client_id, secret):
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}", "Content-Type": FORM_TYPE}


def test_throttle__failures_on_both_workers_share_one_budget(stack, http, token_endpoint):
    auth, basic = stack.auth, stack.basic_clients["it-throttle"]
    run = uuid.uuid4().hex
    wrong, right = _basic(basic.client_id, "wrong"), _basic(basic.client_id, basic.secret)
    busy_ids = [f"it-thr-{run}-{n}" for n in range(FAILURES_PER_CLIENT - 1)]

    # All but one failure on one worker; the last one on the other.
    with HeldRequest(auth.base_url, "POST", "/oauth/token") as held:
        statuses = [
            http.post(
                token_endpoint, content=BODY, headers={**wrong, "X-Request-ID": rid}
            ).status_code
            for rid in busy_ids
        ]
        last = held.finish({**wrong, "X-Request-ID": f"it-thr-{run}-held"}, BODY)
    assert statuses == [401] * (FAILURES_PER_CLIENT - 1)
    assert last.status == 401
    assert {auth.served_by(rid) for rid in busy_ids} | {
        auth.served_by(f"it-thr-{run}-held")
    } == auth.worker_pids()

    # The budget is spent: both workers refuse, even the right secret, before argon2.
    with HeldRequest(auth.base_url, "POST", "/oauth/token") as held:
        here = http.post(
            token_endpoint, content=BODY, headers={**right, "X-Request-ID": f"it-thr-{run}-x"}
        )
        there = held.finish({**right, "X-Request-ID": f"it-thr-{run}-y"}, BODY)
    assert {auth.served_by(f"it-thr-{run}-x"), auth.served_by(f"it-thr-{run}-y")} == (
        auth.worker_pids()
    )
    for status, headers, body in (
        (here.status_code, here.headers, here.json()),
        (there.status, there.headers, there.json()),
    ):
        assert status == 429
        assert body["error"] == "slow_down"
        assert headers["Cache-Control"] == "no-store"
        assert 1 <= int(headers["Retry-After"]) <= 60
