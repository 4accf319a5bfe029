"""A small GitHub REST client: retries that honour rate limits, pagination, no token leaks.

The ``httpx.Client`` is injected (base URL, auth header and timeouts are set by the
caller), and so are ``sleep`` and ``clock``, so retries are testable without waiting.

Retry policy: 429, 5xx, transport errors and rate-limit 403s are retried. The wait
is ``Retry-After`` when given; else, with the primary limit exhausted, until
``x-ratelimit-reset``; else at least a minute doubling per attempt for rate limits
(GitHub's guidance for secondary limits) and a short doubling backoff for server
errors. The total wait is bounded by ``budget`` seconds. A 403 that is not a rate
limit means the token may not do this (:class:`ReadOnlyToken`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

import httpx

from scripts.ci_metrics.errors import GitHubError, ReadOnlyToken, RetryBudgetExceeded

API_VERSION = "2022-11-28"
MAX_ATTEMPTS = 8


class CommentTooLarge(GitHubError):
    """GitHub answered 422: the comment body is too long."""


def make_http_client(token: str | None, api_url: str, timeout: float = 30.0) -> httpx.Client:
    """The production ``httpx.Client`` (the only place the token is put into a header)."""
    headers = {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": API_VERSION,
        "User-Agent": "ci-metrics",
    }
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(base_url=api_url, headers=headers, timeout=timeout, follow_redirects=True)


def _message(response: httpx.Response) -> str:
    try:
        payload = response.json()
    except ValueError:
        return response.reason_phrase
    if not isinstance(payload, dict) or not isinstance(payload.get("message"), str):
        return response.reason_phrase
    details = [
        str(e["message"])
        for e in payload.get("errors") or []
        if isinstance(e, dict) and isinstance(e.get("message"), str)
    ]
    return "; ".join([str(payload["message"]), *details])


def is_rate_limited(response: httpx.Response) -> bool:
    """A 429, or a 403 that GitHub marks as a primary or secondary rate limit."""
    if response.status_code == 429:
        return True
    if response.status_code != 403:
        return False
    headers = response.headers
    if headers.get("x-ratelimit-remaining") == "0" or "retry-after" in headers:
        return True
    return "rate limit" in _message(response).lower()


class GitHubClient:
    """Calls to one repository's REST API."""

    def __init__(
        self,
        http: httpx.Client,
        repository: str,
        *,
        budget: float = 900.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        log: Callable[[str], None] = lambda _msg: None,
    ) -> None:
        self.http = http
        self.repository = repository
        self.budget = budget
        self.sleep = sleep
        self.clock = clock
        self.log = log
        self.waited = 0.0

    def _wait_for(self, response: httpx.Response | None, attempt: int) -> float:
        if response is None or response.status_code >= 500:
            return float(2**attempt)
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
        return 60.0 * float(2**attempt)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send a request, retrying within the budget; errors never include headers."""
        attempt = 0
        while True:
            response: httpx.Response | None
            try:
                response = self.http.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                response, failure = None, f"cannot reach GitHub ({type(exc).__name__})"
            else:
                if response.status_code < 400:
                    return response
                failure = (
                    f"{method} {response.url.path} -> {response.status_code}: {_message(response)}"
                )
            if (
                response is not None
                and response.status_code < 500
                and not is_rate_limited(response)
            ):
                self._raise_final(response, failure)
            if attempt == MAX_ATTEMPTS - 1:
                raise RetryBudgetExceeded(f"{failure}; gave up after {MAX_ATTEMPTS} attempts")
            wait = self._wait_for(response, attempt)
            if self.waited + wait > self.budget:
                raise RetryBudgetExceeded(f"{failure}; gave up after waiting {self.waited:.0f}s")
            self.log(f"{failure}; retrying in {wait:.0f}s")
            self.sleep(wait)
            self.waited += wait
            attempt += 1

    @staticmethod
    def _raise_final(response: httpx.Response, failure: str) -> NoReturn:
        if response.status_code == 403:
            raise ReadOnlyToken(f"{failure} (the token may not write here)")
        if response.status_code == 422 and "too long" in failure.lower():
            raise CommentTooLarge(failure)
        raise GitHubError(failure)

    def paginate(self, url: str, params: dict[str, Any] | None = None) -> Iterator[Any]:
        """Every item of a list endpoint, following ``Link: rel="next"`` (100 per page)."""
        next_url: str | None = url
        query: dict[str, Any] | None = {"per_page": 100, **(params or {})}
        while next_url:
            response = self.request("GET", next_url, params=query)
            items = response.json()
            if not isinstance(items, list):
                raise GitHubError(f"GET {response.url.path}: expected a list")
            yield from items
            next_url = response.links.get("next", {}).get("url")
            query = None  # the next link carries its own query

    def issue_comments(self, number: int) -> Iterator[dict[str, Any]]:
        """All comments of an issue or pull request."""
        yield from self.paginate(f"/repos/{self.repository}/issues/{number}/comments")

    def create_comment(self, number: int, body: str) -> dict[str, Any]:
        """Add a comment to a pull request."""
        url = f"/repos/{self.repository}/issues/{number}/comments"
        result: dict[str, Any] = self.request("POST", url, json={"body": body}).json()
        return result

    def update_comment(self, comment_id: int, body: str) -> dict[str, Any]:
        """Replace a comment's body."""
        url = f"/repos/{self.repository}/issues/comments/{comment_id}"
        result: dict[str, Any] = self.request("PATCH", url, json={"body": body}).json()
        return result

    def pull_request(self, number: int) -> dict[str, Any]:
        """A pull request (its ``head.sha`` in particular)."""
        result: dict[str, Any] = self.request(
            "GET", f"/repos/{self.repository}/pulls/{number}"
        ).json()
        return result

    def get_json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        """GET a JSON document."""
        return self.request("GET", url, params=params).json()

    def download(self, url: str) -> bytes:
        """GET raw bytes (redirects followed; httpx drops the token on cross-origin hops)."""
        return self.request("GET", url).content
