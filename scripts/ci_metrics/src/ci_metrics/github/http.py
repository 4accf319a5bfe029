"""GitHub's REST API over HTTP: the production client, and reading GitHub's answers.

The token goes into a header here and nowhere else, after :func:`check_token`;
an error names a request by its method and path, never by its headers.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import httpx

from ci_metrics.errors import GitHubError, InputError

API_VERSION = "2022-11-28"
_TOKEN = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no spaces: what an HTTP header can carry


def _is_http_url(url: str) -> bool:
    if not url.isprintable() or any(c.isspace() for c in url):
        return False
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018  (parsing the port is the check)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def check_api_url(url: str) -> str:
    """``url`` if it is an absolute http(s) URL, else an :class:`InputError` naming it."""
    if not _is_http_url(url):
        raise InputError(
            f"GITHUB_API_URL must be an http(s) URL such as https://api.github.com, got {url!r}"
        )
    return url


def check_token(token: str) -> str:
    """``token`` if it can go into a header as is; the error never shows the token."""
    if not _TOKEN.fullmatch(token):
        raise InputError(
            "GITHUB_TOKEN contains whitespace or control characters (a trailing newline "
            "from the file or secret it was read from?); remove them where it is set"
        )
    return token


def make_http_client(token: str | None, api_url: str, timeout: float = 30.0) -> httpx.Client:
    """The production ``httpx.Client`` (the only place the token is put into a header)."""
    headers = {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": API_VERSION,
        "User-Agent": "ci-metrics",
    }
    if token:
        headers["Authorization"] = f"Bearer {check_token(token)}"
    return httpx.Client(
        base_url=check_api_url(api_url), headers=headers, timeout=timeout, follow_redirects=True
    )


def message_of(response: httpx.Response) -> str:
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


def path_of(url: str) -> str:
    try:
        return httpx.URL(url).path
    except httpx.InvalidURL:
        return "<invalid URL>"


def describe_error(exc: httpx.RequestError | httpx.InvalidURL) -> str:
    # Only this message is safe to show as is: others (a header error in
    # particular) may quote a header value, which can be the token.
    if isinstance(exc, httpx.UnsupportedProtocol):
        return str(exc).rstrip(".")
    return type(exc).__name__


def is_rate_limited(response: httpx.Response) -> bool:
    """A 429, or a 403 that GitHub marks as a primary or secondary rate limit."""
    if response.status_code == 429:
        return True
    if response.status_code != 403:
        return False
    headers = response.headers
    if headers.get("x-ratelimit-remaining") == "0" or "retry-after" in headers:
        return True
    return "rate limit" in message_of(response).lower()


def json_body(response: httpx.Response) -> Any:
    """The answer's JSON; a clear :class:`GitHubError` when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        method = response.request.method
        raise GitHubError(f"{method} {response.url.path}: the answer is not JSON") from None


def object_body(response: httpx.Response) -> dict[str, Any]:
    payload = json_body(response)
    if not isinstance(payload, dict):
        raise GitHubError(f"{response.request.method} {response.url.path}: expected an object")
    return payload
