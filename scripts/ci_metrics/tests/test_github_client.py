"""The GitHub client's retry policy, pagination and error mapping (httpx.MockTransport)."""

from __future__ import annotations

import httpx
import pytest

from ci_metrics.errors import (
    GitHubError,
    InputError,
    ReadOnlyToken,
    RetriesExhausted,
    WriteOutcomeUnknown,
)
from ci_metrics.github.client import FIRST_WAIT, MAX_WAIT, GitHubClient
from ci_metrics.github.http import check_api_url, check_token, is_rate_limited, make_http_client
from tests.utils.clock import FakeClock

NOW = 1_700_000_000.0


@pytest.fixture
def make_client():
    """Factory: a client whose transport answers from a list of responses.

    The clock is fake: it moves by each sleep, and by a request's read timeout
    when the answer is a ``httpx.ReadTimeout`` (as a real stalled read would).
    """
    clients = []

    def make(responses, time_limit=10_000.0, timeout=30.0):
        calls = []
        clock = FakeClock(start=NOW)

        def handler(request):
            calls.append(request)
            item = responses.pop(0)
            if isinstance(item, httpx.ReadTimeout):
                clock.advance(request.extensions["timeout"]["read"])
            if isinstance(item, Exception):
                raise item
            return item

        http = httpx.Client(
            base_url="https://api.test", transport=httpx.MockTransport(handler), timeout=timeout
        )
        clients.append(http)
        client = GitHubClient(
            http,
            "o/r",
            time_limit=time_limit,
            sleep=clock.sleep,
            clock=clock.time,
            monotonic=clock.monotonic,
        )
        client.fake_clock = clock
        return client, calls, clock.sleeps

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


def assert_full_jitter(sleeps):
    """Retry n waits a random time in [0, min(MAX_WAIT, FIRST_WAIT * 2**(n-1))]."""
    for number, wait in enumerate(sleeps, start=1):
        assert 0 <= wait <= min(MAX_WAIT, FIRST_WAIT * 2 ** (number - 1)), (number, sleeps)


def test_request__server_errors_and_transport_errors_back_off_with_full_jitter(make_client):
    client, calls, sleeps = make_client(
        [
            _r(502),
            httpx.ConnectError("refused"),
            _r(503),
            _r(200),
        ]
    )
    assert client.request("GET", "/x").status_code == 200
    assert len(calls) == 4
    assert len(sleeps) == 3
    assert_full_jitter(sleeps)


def test_request__jobs_that_failed_together_do_not_retry_together(make_client):
    """The same failures give different waits: the jitter is random, not a fixed ladder."""
    runs = []
    for _ in range(2):
        client, _calls, sleeps = make_client([_r(500) for _ in range(7)] + [_r(200)])
        client.request("GET", "/x")
        assert_full_jitter(sleeps)
        runs.append(sleeps)
    assert runs[0] != runs[1]
    assert max(runs[0] + runs[1]) > 1.0  # later retries may wait longer than the first


def test_request__a_jittered_retry_past_the_time_limit_is_not_made(make_client):
    client, calls, sleeps = make_client([_r(503) for _ in range(8)], time_limit=0.5)
    with pytest.raises(RetriesExhausted, match=r"GET /x -> 503: m; gave up: a retry in"):
        client.request("GET", "/x")
    assert client.fake_clock.time() - NOW < 0.5
    assert len(calls) == len(sleeps) + 1 < 8


def test_request__retry_that_would_end_past_the_time_limit_is_not_made(make_client):
    client, calls, sleeps = make_client([_r(429), _r(429)], time_limit=100)
    with pytest.raises(
        RetriesExhausted,
        match=r"GET /x -> 429: m; gave up: a retry in 120s would end past the time limit of 100s",
    ):
        client.request("GET", "/x")
    assert sleeps == [60.0]
    assert len(calls) == 2


def test_request__rate_limit_reset_after_the_time_limit_gives_up_at_once(make_client):
    reset = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 3600)}
    client, calls, sleeps = make_client([_r(403, headers=reset, message="API rate limit")])
    client.time_limit = 300
    with pytest.raises(RetriesExhausted, match="a retry in 3601s would end past the time limit"):
        client.request("GET", "/x")
    assert (len(calls), sleeps) == (1, [])


def test_request__too_many_attempts_gives_up(make_client):
    client, calls, _sleeps = make_client([_r(500) for _ in range(8)], time_limit=10**9)
    with pytest.raises(RetriesExhausted, match="after 8 attempts"):
        client.request("GET", "/x")
    assert len(calls) == 8


def test_request__read_timeouts_count_against_the_time_limit(make_client):
    """Timeouts are cut to the time left, so the whole call ends by the limit."""
    client, calls, sleeps = make_client(
        [httpx.ReadTimeout("slow") for _ in range(8)], time_limit=100, timeout=30
    )
    with pytest.raises(RetriesExhausted, match=r"GET /x: no answer \(ReadTimeout\)"):
        client.request("GET", "/x")
    timeouts = [c.extensions["timeout"]["read"] for c in calls]
    assert timeouts[:3] == [30.0, 30.0, 30.0]
    assert len(timeouts) == 4
    assert timeouts[3] == pytest.approx(100 - 90 - sum(sleeps[:3]))
    assert_full_jitter(sleeps)
    assert client.fake_clock.time() - NOW == pytest.approx(100.0)


def test_request__nothing_left_of_the_time_limit_sends_nothing(make_client):
    client, calls, _sleeps = make_client([_r(200)], time_limit=5)
    client.fake_clock.advance(5)
    with pytest.raises(RetriesExhausted, match=r"GET /x: the time limit of 5s is used up"):
        client.request("GET", "/x")
    assert calls == []


@pytest.mark.parametrize(
    "failure",
    [_r(502), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("closed")],
    ids=["502", "read-timeout", "connection-dropped"],
)
def test_request__post_whose_outcome_is_unknown_is_not_repeated(make_client, failure):
    client, calls, sleeps = make_client([failure, _r(201)])
    with pytest.raises(WriteOutcomeUnknown, match="may have been written"):
        client.request("POST", "/x", json={"body": "b"})
    assert (len(calls), sleeps) == (1, [])


def test_request__post_that_never_reached_github_is_repeated(make_client):
    client, calls, sleeps = make_client([httpx.ConnectError("refused"), _r(201)])
    assert client.request("POST", "/x", json={"body": "b"}).status_code == 201
    assert (len(calls), len(sleeps)) == (2, 1)
    assert_full_jitter(sleeps)


def test_request__patch_and_delete_are_repeatable(make_client):
    client, calls, _sleeps = make_client([_r(502), _r(200), httpx.ReadTimeout("t"), _r(204)])
    client.request("PATCH", "/x", json={"body": "b"})
    client.request("DELETE", "/x")
    assert [c.method for c in calls] == ["PATCH", "PATCH", "DELETE", "DELETE"]


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (
            httpx.UnsupportedProtocol("Request URL has an unsupported protocol 'htps://'."),
            "unsupported protocol 'htps://'",
        ),
        (httpx.LocalProtocolError("Illegal header value b'Bearer t\\n'"), "LocalProtocolError"),
        (httpx.ProxyError("407"), "ProxyError"),
    ],
)
def test_request__protocol_url_and_header_errors_fail_at_once(make_client, error, message):
    client, calls, sleeps = make_client([error, _r(200)])
    with pytest.raises(GitHubError, match=message) as info:
        client.request("GET", "/x")
    assert "not retried" in str(info.value)
    assert "Bearer" not in str(info.value)
    assert (len(calls), sleeps) == (1, [])


def test_request__answer_that_is_not_json_is_a_clear_error(make_client):
    client, _calls, _sleeps = make_client([httpx.Response(200, text="<html>proxy</html>")])
    with pytest.raises(GitHubError, match="GET /x: the answer is not JSON"):
        client.get_json("/x")


def test_request__plain_403_is_read_only_token_not_rate_limit(make_client):
    client, calls, sleeps = make_client([_r(403, message="Resource not accessible by integration")])
    with pytest.raises(ReadOnlyToken, match="may not do this"):
        client.request("POST", "/x")
    assert (len(calls), sleeps) == (1, [])


def test_request__422_and_other_errors_carry_githubs_message(make_client):
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
    with pytest.raises(GitHubError, match="Validation Failed; Body is too long") as info:
        client.request("POST", "/c")
    assert info.value.status == 422
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


def test_paginate__objects_of_the_actions_endpoints(make_client):
    client, calls, _s = make_client(
        [
            httpx.Response(
                200,
                json={"total_count": 3, "workflow_runs": [{"id": 1}, {"id": 2}]},
                headers={"Link": '<https://api.test/runs?page=2&per_page=2>; rel="next"'},
            ),
            httpx.Response(200, json={"total_count": 3, "workflow_runs": [{"id": 3}]}),
            httpx.Response(200, json={"total_count": 0}),
        ]
    )
    runs = list(client.paginate("/runs", {"per_page": 2}, key="workflow_runs"))
    assert [r["id"] for r in runs] == [1, 2, 3]
    assert calls[0].url.params["per_page"] == "2"
    with pytest.raises(GitHubError, match="expected an object with a 'workflow_runs' list"):
        list(client.paginate("/runs", key="workflow_runs"))


def test_paginate__stops_at_its_page_bound(make_client):
    page = httpx.Response(
        200, json=[1], headers={"Link": '<https://api.test/l?page=9>; rel="next"'}
    )
    client, calls, _s = make_client([page, page, page])
    with pytest.raises(GitHubError, match="more than 2 pages"):
        list(client.paginate("/l", max_pages=2))
    assert len(calls) == 2


@pytest.mark.parametrize(
    "url",
    [
        "htps://api.github.com",
        "https://",
        "api.github.com",
        "https://api.github.com\n",
        "https://api.github.com:port",
        "",
    ],
)
def test_check_api_url__refuses_what_is_not_an_http_url(url):
    with pytest.raises(InputError, match="GITHUB_API_URL must be an http"):
        check_api_url(url)


def test_check_api_url__accepts_github_and_enterprise_urls():
    assert check_api_url("https://api.github.com") == "https://api.github.com"
    assert check_api_url("https://ghe.example/api/v3/") == "https://ghe.example/api/v3/"
    assert check_api_url("http://127.0.0.1:8080") == "http://127.0.0.1:8080"


@pytest.mark.parametrize("token", ["t0k\n", "t0k\r\n", " t0k", "t 0k", "t\x00k", "tök"])
def test_check_token__refuses_whitespace_and_control_characters_without_echoing(token):
    with pytest.raises(InputError) as info:
        check_token(token)
    assert "GITHUB_TOKEN contains whitespace or control characters" in str(info.value)
    assert "t0k" not in str(info.value)


def test_make_http_client__sets_headers_and_omits_auth_without_token():
    with make_http_client("s3cret", "https://api.test") as http:
        assert http.headers["Authorization"] == "Bearer s3cret"
        assert http.headers["X-GitHub-Api-Version"] == "2022-11-28"
    with make_http_client(None, "https://api.test") as http:
        assert "Authorization" not in http.headers


def test_pause__a_wait_past_the_time_limit_gives_up_instead(make_client):
    client, _calls, sleeps = make_client([], time_limit=5)
    client.pause("POST /x -> 502: m", 2.0)
    with pytest.raises(RetriesExhausted, match="a retry in 4s would end past the time limit of 5s"):
        client.pause("POST /x -> 502: m", 4.0)
    assert sleeps == [2.0]
    assert 0 <= client.backoff(3) <= 4.0
