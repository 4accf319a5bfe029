"""The GitHub client's retry policy, pagination and error mapping (httpx.MockTransport)."""

from __future__ import annotations

import httpx
import pytest

from scripts.ci_metrics.errors import GitHubError, ReadOnlyToken, RetryBudgetExceeded
from scripts.ci_metrics.github import (
    CommentTooLarge,
    GitHubClient,
    is_rate_limited,
    make_http_client,
)

NOW = 1_700_000_000.0


@pytest.fixture
def make_client():
    """Factory: a client whose transport answers from a list of responses, recording sleeps."""
    clients = []

    def make(responses, budget=10_000.0):
        calls, sleeps = [], []

        def handler(request):
            calls.append(request)
            item = responses.pop(0)
            if isinstance(item, Exception):
                raise item
            return item

        http = httpx.Client(base_url="https://api.test", transport=httpx.MockTransport(handler))
        clients.append(http)
        client = GitHubClient(http, "o/r", budget=budget, sleep=sleeps.append, clock=lambda: NOW)
        return client, calls, sleeps

    yield make
    for http in clients:
        http.close()


def _r(status, *, headers=None, message="m", json=None):
    return httpx.Response(
        status, headers=headers or {}, json=json if json is not None else {"message": message}
    )


def test_request__retry_after_header_wins(make_client):
    client, calls, sleeps = make_client(
        [
            _r(
                403,
                headers={
                    "retry-after": "7",
                    "x-ratelimit-remaining": "0",
                    "x-ratelimit-reset": str(int(NOW) + 500),
                },
                message="secondary rate limit",
            ),
            _r(200, json={"ok": True}),
        ]
    )
    assert client.request("GET", "/x").json() == {"ok": True}
    assert sleeps == [7.0]
    assert len(calls) == 2


def test_request__ratelimit_reset_used_when_no_retry_after(make_client):
    client, _calls, sleeps = make_client(
        [
            _r(
                403,
                headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 30)},
                message="API rate limit exceeded",
            ),
            _r(200),
        ]
    )
    client.request("GET", "/x")
    assert sleeps == [31.0]


def test_request__secondary_limit_without_headers_waits_a_minute_doubling(make_client):
    client, _calls, sleeps = make_client(
        [
            _r(403, message="You have exceeded a secondary rate limit"),
            _r(429, message="slow down"),
            _r(200),
        ]
    )
    client.request("GET", "/x")
    assert sleeps == [60.0, 120.0]
    assert client.waited == 180.0


def test_request__bad_header_values_fall_back_to_backoff(make_client):
    client, _calls, sleeps = make_client(
        [
            _r(429, headers={"retry-after": "soon"}),
            _r(429, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "later"}),
            _r(200),
        ]
    )
    client.request("GET", "/x")
    assert sleeps == [60.0, 120.0]


def test_request__server_errors_and_transport_errors_back_off_briefly(make_client):
    client, _calls, sleeps = make_client(
        [
            _r(502),
            httpx.ConnectError("refused"),
            _r(503),
            _r(200),
        ]
    )
    client.request("GET", "/x")
    assert sleeps == [1.0, 2.0, 4.0]


def test_request__budget_exceeded_gives_up_with_message(make_client):
    client, calls, sleeps = make_client([_r(429), _r(429)], budget=100)
    with pytest.raises(RetryBudgetExceeded, match=r"GET /x -> 429: m; gave up after waiting 60s"):
        client.request("GET", "/x")
    assert sleeps == [60.0]
    assert len(calls) == 2


def test_request__too_many_attempts_gives_up(make_client):
    client, calls, _sleeps = make_client([_r(500) for _ in range(8)], budget=10**9)
    with pytest.raises(RetryBudgetExceeded, match="after 8 attempts"):
        client.request("GET", "/x")
    assert len(calls) == 8


def test_request__plain_403_is_read_only_token_not_rate_limit(make_client):
    client, calls, sleeps = make_client([_r(403, message="Resource not accessible by integration")])
    with pytest.raises(ReadOnlyToken, match="may not write"):
        client.request("POST", "/x")
    assert (len(calls), sleeps) == (1, [])


def test_request__422_too_long_and_other_errors(make_client):
    client, _c, _s = make_client(
        [
            _r(
                422,
                json={
                    "message": "Validation Failed",
                    "errors": [{"message": "Body is too long"}, "x"],
                },
            ),
            _r(404, message="Not Found"),
            httpx.Response(400, text="not json"),
            httpx.Response(400, json=["list"]),
        ]
    )
    with pytest.raises(CommentTooLarge, match="Validation Failed; Body is too long"):
        client.request("POST", "/c")
    with pytest.raises(GitHubError, match="GET /x -> 404: Not Found"):
        client.request("GET", "/x")
    with pytest.raises(GitHubError, match="400: Bad Request"):
        client.request("GET", "/x")
    with pytest.raises(GitHubError, match="400: Bad Request"):
        client.request("GET", "/x")


def test_is_rate_limited__only_for_rate_limit_signals():
    assert is_rate_limited(_r(429))
    assert is_rate_limited(_r(403, headers={"retry-after": "1"}))
    assert not is_rate_limited(_r(403, message="Forbidden"))
    assert not is_rate_limited(_r(500))


def test_paginate__follows_next_links_and_rejects_non_lists(make_client):
    client, calls, _s = make_client(
        [
            httpx.Response(
                200,
                json=[1, 2],
                headers={"Link": '<https://api.test/l?page=2&per_page=100>; rel="next"'},
            ),
            httpx.Response(200, json=[3]),
            httpx.Response(200, json={"not": "a list"}),
        ]
    )
    assert list(client.paginate("/l")) == [1, 2, 3]
    assert calls[0].url.params["per_page"] == "100"
    assert calls[1].url.params["page"] == "2"
    with pytest.raises(GitHubError, match="expected a list"):
        list(client.paginate("/l"))


def test_make_http_client__sets_headers_and_omits_auth_without_token():
    with make_http_client("s3cret", "https://api.test") as http:
        assert http.headers["Authorization"] == "Bearer s3cret"
        assert http.headers["X-GitHub-Api-Version"] == "2022-11-28"
    with make_http_client(None, "https://api.test") as http:
        assert "Authorization" not in http.headers
