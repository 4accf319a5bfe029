"""The rate limit is counted in Redis: exact across both API workers, 429 with Retry-After."""

from __future__ import annotations

import uuid
from collections import Counter

from tests.integration.held_request import HeldRequest
from tests.integration.scenarios import RATE_LIMIT


def test_rate_limit__holds_exactly_across_both_api_workers(stack, http, obtain_token, projects_url):
    api = stack.api
    auth = {"Authorization": f"Bearer {obtain_token('it-rate-limit')}"}
    run = uuid.uuid4().hex
    sent_ids = [f"it-rl-{run}-{n}" for n in range(RATE_LIMIT - 1)]

    # One worker waits on the held request while the other serves all but one
    # of the allowed requests; the held one is then the last allowed request,
    # answered by a worker that has counted nothing itself.
    with HeldRequest(api.base_url, "GET", "/v1/projects") as held:
        statuses = Counter(
            http.get(projects_url, headers={**auth, "X-Request-ID": rid}).status_code
            for rid in sent_ids
        )
        last = held.finish({**auth, "X-Request-ID": f"it-rl-{run}-held"})
    assert statuses == {200: RATE_LIMIT - 1}
    assert last.status == 200
    assert last.headers["RateLimit-Limit"] == str(RATE_LIMIT)
    assert last.headers["RateLimit-Remaining"] == "0"
    busy_worker = {api.served_by(rid) for rid in sent_ids}
    held_worker = api.served_by(f"it-rl-{run}-held")
    assert len(busy_worker) == 1
    assert busy_worker | {held_worker} == api.worker_pids()

    # Over the limit, both workers refuse.
    with HeldRequest(api.base_url, "GET", "/v1/projects") as held:
        refused_here = http.get(projects_url, headers={**auth, "X-Request-ID": f"it-rl-{run}-a"})
        refused_there = held.finish({**auth, "X-Request-ID": f"it-rl-{run}-b"})
    assert {api.served_by(f"it-rl-{run}-a"), api.served_by(f"it-rl-{run}-b")} == api.worker_pids()
    for status, headers, body in (
        (refused_here.status_code, refused_here.headers, refused_here.json()),
        (refused_there.status, refused_there.headers, refused_there.json()),
    ):
        assert status == 429
        assert headers["Content-Type"] == "application/problem+json"
        assert body["type"].endswith(":rate-limited")
        assert 1 <= int(headers["Retry-After"]) <= 60
        assert headers["RateLimit-Remaining"] == "0"
