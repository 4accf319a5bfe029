"""The one retry policy of the repository's outbound calls, on tenacity.

The http sink's batches and the token service's client-directory lookups
retry under it. It lives here, in the lowest package, because logging_lib
depends on nothing of the services while they all depend on it:

* exponential backoff with **full jitter**: the wait before retry *n* is drawn
  from ``[0, min(max_wait, first_wait * 2**(n-1))]``, so the workers of a
  fleet that failed together do not retry together;
* a bounded number of ``attempts`` (the first included);
* a bound on the **total time** (``total_seconds`` from the first attempt): no
  wait ends past it and each attempt is told the time left, so it can cap its
  own timeout.

When the policy gives up, the last answer is returned or the last exception
raised. ``sleep`` and ``clock`` are injected so tests never wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import RetryCallState, Retrying, stop_after_attempt, wait_random_exponential
from tenacity.retry import retry_base
from tenacity.stop import stop_base

T = TypeVar("T")


class _OutOfTime(stop_base):
    """Stop when the coming wait would end at or past the deadline."""

    def __init__(self, deadline: float, clock: Callable[[], float]) -> None:
        self._deadline = deadline
        self._clock = clock

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self._clock() + retry_state.upcoming_sleep >= self._deadline


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry; see the module docstring."""

    attempts: int
    first_wait: float
    max_wait: float
    total_seconds: float

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        if not 0 < self.first_wait <= self.max_wait:
            raise ValueError("waits must satisfy 0 < first_wait <= max_wait")
        if self.total_seconds <= 0:
            raise ValueError("total_seconds must be positive")

    def call(
        self,
        attempt: Callable[[float], T],
        *,
        retry: retry_base,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> T:
        """Run ``attempt(seconds_left)`` until it succeeds or the policy gives up."""
        deadline = clock() + self.total_seconds
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts) | _OutOfTime(deadline, clock),
            wait=wait_random_exponential(multiplier=self.first_wait, max=self.max_wait),
            retry=retry,
            sleep=sleep,
            retry_error_callback=_last_outcome,
        )
        result: T = retrying(lambda: attempt(max(deadline - clock(), 0.0)))
        return result


def _last_outcome(retry_state: RetryCallState) -> object:
    outcome = retry_state.outcome
    if outcome is None:  # pragma: no cover - tenacity stops only after an attempt
        raise RuntimeError("no attempt was made")
    return outcome.result()
