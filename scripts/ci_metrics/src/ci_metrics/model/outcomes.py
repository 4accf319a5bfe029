"""What a test run did: each test's outcome, tox's timings, and each Python version's tally."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ci_metrics.model.failures import Failure

# xfailed: failed as expected (pytest.mark.xfail); xpassed: marked xfail but passed
# (a non-strict xfail; strict ones report as failed). Neither is a skip.
# quarantined: failed while listed in the quarantine register (ci-metrics' pytest
# plugin made it a non-strict xfail; a quarantined test that passes is "passed").
OUTCOMES = ("passed", "failed", "skipped", "xfailed", "xpassed", "quarantined")
#: Across Python versions the first of these that any version had wins: a test
#: failed if it failed anywhere, and passed if it ran and passed somewhere.
_PRECEDENCE = ("failed", "quarantined", "passed", "xpassed", "xfailed", "skipped")


@dataclass(frozen=True)
class TestResult:
    """The final outcome of one test, its duration (all phases) and how often it was rerun;
    for a failed, quarantined or flaky test, why it failed (the first failure of a flaky
    one), when its results recorded it."""

    __test__ = False  # a domain object, not a pytest test class

    outcome: str
    duration: float
    reruns: int = 0
    failure: Failure | None = None

    @property
    def flaky(self) -> bool:
        """Failed at first and passed on a rerun."""
        return self.reruns > 0 and self.outcome == "passed"


@dataclass(frozen=True)
class EnvTiming:
    """Seconds tox spent setting an environment up and running its commands."""

    setup: float
    test: float


def merge_versions(runs: Mapping[str, Mapping[str, TestResult]]) -> dict[str, TestResult]:
    """One result per test over every version: the outcome by :data:`_PRECEDENCE`, the
    longest duration (what a shard waits for), and the reruns of all versions."""
    merged: dict[str, TestResult] = {}
    for results in runs.values():
        for nodeid, result in results.items():
            seen = merged.get(nodeid)
            if seen is None:
                merged[nodeid] = result
                continue
            outcome = min(seen.outcome, result.outcome, key=_rank)
            # The cause of the version whose outcome won (of the first, if both had it).
            cause = seen if seen.outcome == outcome and seen.failure else result
            merged[nodeid] = TestResult(
                outcome,
                max(seen.duration, result.duration),
                seen.reruns + result.reruns,
                cause.failure or seen.failure,
            )
    return merged


def _rank(outcome: str) -> int:
    return _PRECEDENCE.index(outcome) if outcome in _PRECEDENCE else len(_PRECEDENCE)


@dataclass(frozen=True)
class VersionOutcome:
    """What one Python version of a layer did: its counts and its failed tests."""

    counts: Mapping[str, int]
    failed: tuple[str, ...]

    @classmethod
    def of(cls, results: Mapping[str, TestResult]) -> VersionOutcome:
        """Summarise one version's results."""
        failed = tuple(sorted(n for n, r in results.items() if r.outcome == "failed"))
        return cls(count_outcomes(results), failed)


def count_outcomes(results: Mapping[str, TestResult]) -> dict[str, int]:
    """How many tests passed, failed and were skipped."""
    counts = dict.fromkeys(OUTCOMES, 0)
    for result in results.values():
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
    return counts
