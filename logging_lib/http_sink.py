"""A sink POSTing batches of lines to an HTTP log collector."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import httpx

# Worth another attempt: the collector is overloaded or briefly unavailable.
_RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})


class HttpSinkError(RuntimeError):
    """A batch could not be delivered to the collector."""


class HttpSink:
    """POSTs newline-delimited lines (``application/x-ndjson``) to *url*.

    Lines are sent in batches of at most *batch_size*. A transport error or a
    retryable status (408, 429, 5xx) is retried up to *max_retries* times,
    sleeping ``backoff * 2**attempt`` seconds in between; any other error status
    fails at once. A batch that still fails raises :class:`HttpSinkError` (the
    dispatcher counts it as a sink error) - later batches are still attempted.

    Args:
        client: the HTTP client to use; the sink closes it only if *owns_client*.
        url: the collector endpoint.
        timeout: seconds allowed per POST.
        sleep: waits between attempts (injected so tests don't sleep).
    """

    def __init__(
        self,
        client: httpx.Client,
        url: str,
        *,
        batch_size: int = 100,
        timeout: float = 5.0,
        max_retries: int = 3,
        backoff: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
        owns_client: bool = False,
        name: str = "http",
    ) -> None:
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        if max_retries < 0:
            raise ValueError(f"max_retries must not be negative, got {max_retries}")
        self.name = name
        self._client = client
        self._url = url
        self._batch_size = batch_size
        self._timeout = timeout
        self._max_retries = max_retries
        self._backoff = backoff
        self._sleep = sleep
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
        problem = ""
        for attempt in range(self._max_retries + 1):
            if attempt:
                self._sleep(self._backoff * 2 ** (attempt - 1))
            try:
                response = self._client.post(
                    self._url,
                    content=body,
                    headers={"Content-Type": "application/x-ndjson"},
                    timeout=self._timeout,
                )
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
                continue
            if response.is_success:
                return None
            problem = f"status {response.status_code}"
            if response.status_code not in _RETRYABLE_STATUS:
                break
        return problem

    def flush(self) -> None:
        """Every write is sent immediately; nothing is buffered."""

    def close(self) -> None:
        if self._owns_client:
            self._client.close()
