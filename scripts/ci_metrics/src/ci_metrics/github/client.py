"""A small GitHub REST client: bounded retries, pagination, no token leaks.

The ``httpx.Client`` is injected (base URL, auth header and timeouts are set by
the caller), and so are ``sleep`` and the clocks, so retries and the time limit
are testable without waiting.

Retry only what can succeed on a retry:

* transient, retried: connect errors and timeouts, a connection dropped before
  the answer, 5xx, and rate limits (429, or a 403 that GitHub marks as a
  primary or secondary limit);
* permanent, raised at once: any other 4xx, and protocol, URL or header errors
  (an unsupported scheme, an illegal header value, a proxy refusing);
* a POST that may have taken effect (a 5xx, or its answer lost) is never sent
  again blindly: :class:`WriteOutcomeUnknown` lets the caller look first. GET,
  PATCH and DELETE are repeatable, and so is any request that never left.

Retries follow the repository's retry policy, on tenacity: server and network
errors wait with **full jitter** (before retry *n*, a wait drawn uniformly from
``[0, min(MAX_WAIT, FIRST_WAIT * 2**(n-1))]``, so jobs that failed together do
not retry together), at most :data:`MAX_ATTEMPTS` attempts. Rate limits wait
as GitHub says: ``Retry-After`` when given; else, with the primary limit
exhausted, until ``x-ratelimit-reset``; else at least a minute, doubling per
attempt (GitHub's guidance for secondary limits).

All calls of one client share one deadline, ``time_limit`` seconds after the
client was made: each request's timeouts are cut to the time left, and a retry
whose wait would end past the deadline is not made. So the tool stops with its
own message before the calling job's ``timeout-minutes`` would kill it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity import wait_random_exponential as _full_jitter
from tenacity.stop import stop_base

from ci_metrics.errors import (
    GitHubError,
    ReadOnlyToken,
    RetriesExhausted,
    WriteOutcomeUnknown,
)
from ci_metrics.github.http import (
    describe_error,
    is_rate_limited,
    json_body,
    message_of,
    object_body,
    path_of,
)

MAX_ATTEMPTS = 8
#: Full-jitter backoff of server and network errors: retry n waits up to
#: min(MAX_WAIT, FIRST_WAIT * 2**(n-1)) seconds.
FIRST_WAIT = 1.0
MAX_WAIT = 64.0
BACKOFF = _full_jitter(multiplier=FIRST_WAIT, max=MAX_WAIT)
MAX_PAGES = 100
RATE_LIMIT_WAIT = 60.0  # GitHub: wait at least a minute after a secondary rate limit
# Methods GitHub applies at most once however often they are sent.
REPEATABLE = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})
# The request never reached GitHub: safe to send again, whatever the method.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# The request may have reached GitHub, the answer did not come back.
_NO_ANSWER = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)


class GitHubClient:
    """Calls to one repository's REST API, all within one time limit."""

    def __init__(
        self,
        http: httpx.Client,
        repository: str,
        *,
        time_limit: float = 300.0,
        rate_limit_wait: float = RATE_LIMIT_WAIT,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        log: Callable[[str], None] = lambda _msg: None,
    ) -> None:
        self.http = http
        self.repository = repository
        self.time_limit = time_limit
        self.rate_limit_wait = rate_limit_wait
        self.sleep = sleep
        self.clock = clock
        self.monotonic = monotonic
        self.log = log
        self._started = monotonic()

    def time_left(self) -> float:
        """Seconds left before the time limit."""
        return self.time_limit - (self.monotonic() - self._started)

    def _timeout(self, method: str, url: str) -> httpx.Timeout:
        left = self.time_left()
        if left <= 0:
            raise RetriesExhausted(
                f"{method} {path_of(url)}: the time limit of {self.time_limit:.0f}s is used up"
            )
        configured = self.http.timeout
        return httpx.Timeout(
            connect=min(configured.connect or left, left),
            read=min(configured.read or left, left),
            write=min(configured.write or left, left),
            pool=min(configured.pool or left, left),
        )

    def _wait(self, retry_state: RetryCallState) -> float:
        """Before a retry: what GitHub asks for after a rate limit, else the jittered backoff."""
        failure = _failure_of(retry_state)
        response = failure.response
        if response is None or not is_rate_limited(response):
            return float(BACKOFF(retry_state))
        headers = response.headers
        retry_after = headers.get("retry-after")
        if retry_after is not None:
            try:
                return max(0.0, float(retry_after))
            except ValueError:
                pass
        reset = headers.get("x-ratelimit-reset")
        if headers.get("x-ratelimit-remaining") == "0" and reset is not None:
            try:
                return max(0.0, float(reset) - float(self.clock())) + 1.0
            except ValueError:
                pass
        return self.rate_limit_wait * float(2 ** (retry_state.attempt_number - 1))

    def _give_up(self, retry_state: RetryCallState) -> NoReturn:
        failure = _failure_of(retry_state)
        if retry_state.attempt_number >= MAX_ATTEMPTS:
            raise RetriesExhausted(f"{failure}; gave up after {MAX_ATTEMPTS} attempts")
        raise self._out_of_time(str(failure), retry_state.upcoming_sleep)

    def _out_of_time(self, failure: str, wait: float) -> RetriesExhausted:
        return RetriesExhausted(
            f"{failure}; gave up: a retry in {wait:.0f}s would end past the time limit "
            f"of {self.time_limit:.0f}s ([tool.ci_metrics.github] time_limit_seconds)"
        )

    def _log_retry(self, retry_state: RetryCallState) -> None:
        self.log(f"{_failure_of(retry_state)}; retrying in {retry_state.upcoming_sleep:.1f}s")

    def backoff(self, retry_number: int) -> float:
        """The jittered wait before retry ``retry_number`` (1, 2, ...) of the backoff above."""
        state = RetryCallState(Retrying(), fn=None, args=(), kwargs={})
        state.attempt_number = retry_number
        return float(BACKOFF(state))

    def pause(self, failure: str, wait: float) -> None:
        """Sleep ``wait`` seconds before a retry, or give up if that passes the time limit."""
        if wait >= self.time_left():
            raise self._out_of_time(failure, wait)
        self.log(f"{failure}; retrying in {wait:.1f}s")
        self.sleep(wait)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send a request, retrying what is transient; errors never include headers."""
        retrying = Retrying(
            stop=stop_after_attempt(MAX_ATTEMPTS) | _PastTimeLimit(self),
            wait=self._wait,
            retry=retry_if_exception_type(_Transient),
            sleep=self.sleep,
            before_sleep=self._log_retry,
            retry_error_callback=self._give_up,
        )
        response: httpx.Response = retrying(self._attempt, method, url, kwargs)
        return response

    def _attempt(self, method: str, url: str, kwargs: dict[str, Any]) -> httpx.Response:
        """One try: the answer, a :class:`_Transient` failure to retry, or a final error."""
        response: httpx.Response | None = None
        try:
            response = self.http.request(method, url, timeout=self._timeout(method, url), **kwargs)
        except _NOT_SENT as exc:
            failure, may_have_happened = f"cannot reach GitHub ({type(exc).__name__})", False
        except _NO_ANSWER as exc:
            failure = f"{method} {path_of(url)}: no answer ({type(exc).__name__})"
            may_have_happened = True
        except (httpx.RequestError, httpx.InvalidURL) as exc:
            raise GitHubError(
                f"{method} {path_of(url)}: {describe_error(exc)} (not retried)"
            ) from None
        else:
            status = response.status_code
            if status < 400:
                return response
            failure = f"{method} {response.url.path} -> {status}: {message_of(response)}"
            if status < 500 and not is_rate_limited(response):
                self._raise_final(response, failure)
            may_have_happened = status >= 500
        if may_have_happened and method not in REPEATABLE:
            raise WriteOutcomeUnknown(
                f"{failure}; it may have been written all the same",
                None if response is None else response.status_code,
            )
        raise _Transient(failure, response)

    @staticmethod
    def _raise_final(response: httpx.Response, failure: str) -> NoReturn:
        if response.status_code == 403:
            raise ReadOnlyToken(f"{failure} (the token may not do this)", 403)
        raise GitHubError(failure, response.status_code)

    def paginate(
        self,
        url: str,
        params: dict[str, Any] | None = None,
        *,
        key: str | None = None,
        max_pages: int = MAX_PAGES,
    ) -> Iterator[Any]:
        """Every item of a list endpoint, following ``Link: rel="next"`` (100 per page).

        ``key`` names the list inside the object that the Actions endpoints answer
        with (``{"total_count": n, "workflow_runs": [...]}``). More than ``max_pages``
        pages is an error, not a silent cut.
        """
        next_url: str | None = url
        query: dict[str, Any] | None = {"per_page": 100, **(params or {})}
        pages = 0
        while next_url:
            if pages == max_pages:
                raise GitHubError(f"GET {path_of(url)}: more than {max_pages} pages; stopped there")
            response = self.request("GET", next_url, params=query)
            payload = json_body(response)
            items = payload.get(key) if key is not None and isinstance(payload, dict) else payload
            if not isinstance(items, list):
                expected = "a list" if key is None else f"an object with a {key!r} list"
                raise GitHubError(f"GET {response.url.path}: expected {expected}")
            yield from items
            pages += 1
            next_url = response.links.get("next", {}).get("url")
            query = None  # the next link carries its own query

    def token_login(self) -> str | None:
        """The login the token acts as, or ``None`` when GitHub does not say.

        ``GET /user`` answers for personal tokens; installation tokens (such as
        ``GITHUB_TOKEN``) get a 403 there, and the caller falls back to the
        configured author.
        """
        try:
            user = self.get_json("/user")
        except GitHubError as exc:
            if exc.status in (403, 404):
                return None
            raise
        login = user.get("login") if isinstance(user, dict) else None
        return login if isinstance(login, str) and login else None

    def issue_comments(self, number: int) -> Iterator[dict[str, Any]]:
        """All comments of an issue or pull request, oldest first."""
        yield from self.paginate(f"/repos/{self.repository}/issues/{number}/comments")

    def create_comment(self, number: int, body: str) -> dict[str, Any]:
        """Add a comment to a pull request (may raise :class:`WriteOutcomeUnknown`)."""
        url = f"/repos/{self.repository}/issues/{number}/comments"
        return object_body(self.request("POST", url, json={"body": body}))

    def update_comment(self, comment_id: int, body: str) -> dict[str, Any]:
        """Replace a comment's body."""
        url = f"/repos/{self.repository}/issues/comments/{comment_id}"
        return object_body(self.request("PATCH", url, json={"body": body}))

    def delete_comment(self, comment_id: int) -> bool:
        """Delete a comment; ``False`` if it was already gone."""
        try:
            self.request("DELETE", f"/repos/{self.repository}/issues/comments/{comment_id}")
        except GitHubError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def pull_request(self, number: int) -> dict[str, Any]:
        """A pull request: its state and head (SHA, branch, repository)."""
        return object_body(self.request("GET", f"/repos/{self.repository}/pulls/{number}"))

    def workflow_runs(self, workflow: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Runs of a workflow (file name or id), newest first, filtered by ``params``."""
        url = f"/repos/{self.repository}/actions/workflows/{workflow}/runs"
        yield from self.paginate(url, params, key="workflow_runs")

    def run_artifacts(self, run_id: int, name: str) -> Iterator[dict[str, Any]]:
        """The artifacts of a workflow run called ``name``."""
        url = f"/repos/{self.repository}/actions/runs/{run_id}/artifacts"
        for item in self.paginate(url, {"name": name}, key="artifacts"):
            if isinstance(item, dict) and item.get("name") == name:
                yield item

    def get_json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        """GET a JSON document."""
        return json_body(self.request("GET", url, params=params))

    def download(self, url: str) -> bytes:
        """GET raw bytes, following GitHub's redirect to its storage host (httpx drops the
        token on a cross-origin hop, which the signed storage URL does not need)."""
        return self.request("GET", url, follow_redirects=True).content


class _Transient(Exception):
    """A failure worth retrying: its description and GitHub's answer, if one came."""

    def __init__(self, failure: str, response: httpx.Response | None) -> None:
        super().__init__(failure)
        self.response = response


def _failure_of(retry_state: RetryCallState) -> _Transient:
    outcome = retry_state.outcome
    failure = outcome.exception() if outcome is not None else None
    if not isinstance(failure, _Transient):  # pragma: no cover - only _Transient is retried
        raise RuntimeError("a retry without a transient failure")
    return failure


class _PastTimeLimit(stop_base):
    """Stop when the coming wait would end at or past the client's time limit."""

    def __init__(self, client: GitHubClient) -> None:
        self._client = client

    def __call__(self, retry_state: RetryCallState) -> bool:
        return retry_state.upcoming_sleep >= self._client.time_left()
