"""The retry policy: full jitter, bounded attempts, a total time budget, the real last outcome."""

from __future__ import annotations

import pytest
from tenacity import retry_if_exception_type, retry_if_result

from logging_lib.retry import RetryPolicy
from tests.utils.clock import FakeClock

POLICY = RetryPolicy(attempts=5, first_wait=0.1, max_wait=0.4, total_seconds=10.0)


def failing(clock, outcomes):
    """An attempt that returns or raises the next outcome, recording the time it was given."""
    given = []

    def attempt(seconds_left):
        given.append(seconds_left)
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return attempt, given


def test_call__retries_until_success_with_full_jitter_waits():
    clock = FakeClock()
    attempt, given = failing(clock, [ConnectionError(), ConnectionError(), ConnectionError(), "ok"])
    result = POLICY.call(
        attempt,
        retry=retry_if_exception_type(ConnectionError),
        sleep=clock.sleep,
        clock=clock.monotonic,
    )
    assert result == "ok"
    assert len(clock.sleeps) == 3
    for number, wait in enumerate(clock.sleeps, start=1):
        assert 0 <= wait <= min(0.4, 0.1 * 2 ** (number - 1))
    assert given[0] == 10.0
    assert given[-1] == pytest.approx(10.0 - sum(clock.sleeps))


def test_call__waits_differ_from_run_to_run():
    runs = []
    for _ in range(2):
        clock = FakeClock()
        attempt, _given = failing(clock, [ConnectionError()] * 4 + ["ok"])
        POLICY.call(attempt, retry=retry_if_exception_type(ConnectionError),
                    sleep=clock.sleep, clock=clock.monotonic)  # fmt: skip
        runs.append(clock.sleeps)
    assert runs[0] != runs[1]


def test_call__gives_up_after_the_attempts_with_the_last_exception():
    clock = FakeClock()
    errors = [ConnectionError(f"try {n}") for n in range(1, 6)]
    attempt, given = failing(clock, list(errors))
    with pytest.raises(ConnectionError, match="try 5"):
        POLICY.call(attempt, retry=retry_if_exception_type(ConnectionError),
                    sleep=clock.sleep, clock=clock.monotonic)  # fmt: skip
    assert len(given) == 5


def test_call__gives_up_with_the_last_answer_when_it_is_not_worth_retrying_any_more():
    clock = FakeClock()
    attempt, given = failing(clock, [503, 503, 503, 503, 503])
    result = POLICY.call(attempt, retry=retry_if_result(lambda status: status >= 500),
                         sleep=clock.sleep, clock=clock.monotonic)  # fmt: skip
    assert (result, len(given)) == (503, 5)


def test_call__no_wait_ends_past_the_total_time():
    clock = FakeClock()
    policy = RetryPolicy(attempts=50, first_wait=1.0, max_wait=1.0, total_seconds=3.0)

    def slow_failure(seconds_left):
        clock.advance(min(seconds_left, 0.9))
        raise TimeoutError

    with pytest.raises(TimeoutError):
        policy.call(slow_failure, retry=retry_if_exception_type(TimeoutError),
                    sleep=clock.sleep, clock=clock.monotonic)  # fmt: skip
    assert clock.monotonic() <= 3.0


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"attempts": 0}, "attempts must be at least 1"),
        ({"first_wait": 0}, "0 < first_wait <= max_wait"),
        ({"first_wait": 2, "max_wait": 1}, "0 < first_wait <= max_wait"),
        ({"total_seconds": 0}, "total_seconds must be positive"),
    ],
)
def test_retry_policy__rejects_bounds_that_allow_no_sensible_retry(values, message):
    defaults = {"attempts": 3, "first_wait": 0.05, "max_wait": 1.0, "total_seconds": 5.0}
    with pytest.raises(ValueError, match=message):
        RetryPolicy(**{**defaults, **values})
