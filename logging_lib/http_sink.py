"""A sink POSTing batches of lines to an HTTP log collector."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import httpx
from tenacity import retry_if_exception_type, retry_if_result

from logging_lib.retry import RetryPolicy

# Worth another attempt: the collector is overloaded or briefly unavailable.
_RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
#: The wait before the first retry is at most this; each later one at most doubles.
FIRST_WAIT_SECONDS = 0.2
MAX_WAIT_SECONDS = 5.0


class HttpSinkError(RuntimeError):
    """A batch could not be delivered to the collector."""


def http_retry_policy(*, max_retries: int, budget_seconds: float) -> RetryPolicy:
    """The sink's retry policy: ``max_retries`` more attempts per batch within the budget."""
    return RetryPolicy(
        attempts=max_retries + 1,
        first_wait=FIRST_WAIT_SECONDS,
        max_wait=MAX_WAIT_SECONDS,
        total_seconds=budget_seconds,
    )


class HttpSink:
    """POSTs newline-delimited lines (``application/x-ndjson``) to *url*.

    Lines are sent in batches of at most *batch_size*. A transport error or a
    retryable status (408, 429, 5xx) is retried under *retry*
    (:mod:`logging_lib.retry`: jittered exponential backoff, a bounded number
    of attempts and a bound on the time one batch may take, each attempt's
    timeout cut to what is left of it); any other error status fails at once.
    A batch that still fails raises :class:`HttpSinkError` (the dispatcher
    counts it as a sink error) - later batches are still attempted.

    Args:
        client: the HTTP client to use; the sink closes it only if *owns_client*.
        url: the collector endpoint.
        timeout: seconds allowed per POST.
        retry: the retry policy; by default 3 retries within 30 s.
        sleep, clock: wait between attempts and read the time (injected so
            tests don't sleep).
    """

    def __init__(
        self,
        client: httpx.Client,
        url: str,
        *,
        batch_size: int = 100,
        timeout: float = 5.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        owns_client: bool = False,
        name: str = "http",
    ) -> None:
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.name = name
        self._client = client
        self._url = url
        self._batch_size = batch_size
        self._timeout = timeout
        self._retry = retry or http_retry_policy(max_retries=3, budget_seconds=30.0)
        self._sleep = sleep
        self._clock = clock
        self._owns_client = owns_client

    def write(self, lines: Sequence[str]) -> None:
        failures: list[str] = []
        for start in range(0, len(lines), self._batch_size):
            batch = lines[start : start + self._batch_size]
            problem = self._post("".join(f"{line}\n" for line in batch).encode("utf-8"))
            if problem is not None:
                failures.append(problem)
        if failures:
            raise HttpSinkError(
                f"{len(failures)} batch(es) not delivered to {self._url}: {failures[-1]}"
            )

    def _post(self, body: bytes) -> str | None:
        """Send one batch; None on success, otherwise why the last attempt failed."""

        def attempt(seconds_left: float) -> httpx.Response:
            return self._client.post(
                self._url,
                content=body,
                headers={"Content-Type": "application/x-ndjson"},
                timeout=min(self._timeout, seconds_left),
            )

        try:
            response = self._retry.call(
                attempt,
                retry=retry_if_exception_type(httpx.HTTPError)
                | retry_if_result(lambda response: response.status_code in _RETRYABLE_STATUS),
                sleep=self._sleep,
                clock=self._clock,
            )
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"
        return None if response.is_success else f"status {response.status_code}"

    def flush(self) -> None:
        """Every write is sent immediately; nothing is buffered."""

    def close(self) -> None:
        if self._owns_client:
            self._client.close()
