"""Each test of a run against its nightly history: what failed and why, what flaked,
what is quarantined, and what is new, gone, newly skipped or slower.

A failed test is listed with its cause (:class:`~ci_metrics.model.failures.Failure`),
the Python versions it failed on and its verdict
(:func:`~ci_metrics.model.history.judge`), the most telling first: new with this
change, then new tests, failing on main too, probably flaky. A flaky test (failed,
then passed on its rerun) is listed the same way; one in none of the baseline's
histories falls under the "new flaky tests" gate. A quarantined test that failed is
listed apart, with its register entry. A slowdown needs the evidence a layer's
runtime needs: at least :data:`~ci_metrics.model.baseline.MIN_BAND_SAMPLES` nightly
durations, and a duration beyond their p95 by more than timer noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ci_metrics.inputs.quarantine import QuarantineEntry, entry_for
from ci_metrics.model.baseline import MIN_BAND_SAMPLES, SLOW_NOISE_FLOOR, Baseline, quantile
from ci_metrics.model.failures import Failure
from ci_metrics.model.gates import TestsGate
from ci_metrics.model.history import Verdict, judge
from ci_metrics.model.snapshot import Snapshot

#: At most this many slowdowns are listed.
MAX_SLOW = 10
NEW_FLAKY = "new flaky tests"


@dataclass(frozen=True)
class TestChange:
    """A test worth naming in the report."""

    __test__ = False  # a domain object, not a pytest test class

    nodeid: str
    layer: str
    detail: str
    #: What the list is ordered by (a slowdown's seconds).
    seconds: float = 0.0


@dataclass(frozen=True)
class FailedTest:
    """A failed, flaky or quarantined test: why, where, on which Python, and its history."""

    __test__ = False  # a domain object, not a pytest test class

    nodeid: str
    layer: str
    failure: Failure | None
    verdict: Verdict
    #: The layer's Python versions it failed on (none when the layer names no versions).
    pythons: tuple[str, ...] = ()
    reruns: int = 0
    quarantine: QuarantineEntry | None = None

    @property
    def detail(self) -> str:
        """``Python 3.13`` when it failed on some of the layer's versions only."""
        return f"Python {', '.join(self.pythons)}" if self.pythons else ""


@dataclass
class Triage:
    """The tests worth naming in a report."""

    failed: list[FailedTest] = field(default_factory=list)
    flaky: list[FailedTest] = field(default_factory=list)
    quarantined: list[FailedTest] = field(default_factory=list)
    new_tests: list[TestChange] = field(default_factory=list)
    removed_tests: list[TestChange] = field(default_factory=list)
    newly_skipped: list[TestChange] = field(default_factory=list)
    slow: list[TestChange] = field(default_factory=list)

    def new_flaky_gate(self, has_baseline: bool) -> TestsGate:
        """Flaky tests in none of the baseline's histories: their author's to fix."""
        why = (
            "in no nightly run: a test this pull request brings must not flake "
            "(fix it, or quarantine it with an owner)"
            if has_baseline
            else "no nightly baseline yet, so no test has a history to tell it is not new"
        )
        return TestsGate(NEW_FLAKY, tuple(t.nodeid for t in self.flaky if not t.verdict.known), why)


def _failed_on(snapshot: Snapshot, layer: str, nodeid: str) -> tuple[str, ...]:
    """The layer's Python versions that failed ``nodeid`` (``()`` when none are named)."""
    versions = snapshot.python.get(layer, {})
    return tuple(version for version, run in sorted(versions.items()) if nodeid in run.failed)


def _slowdown(duration: float, durations: list[float]) -> str | None:
    """How a test's duration exceeds its nightly band, or ``None`` (within it, or too few
    nightly durations to have one)."""
    if len(durations) < MIN_BAND_SAMPLES:
        return None
    p95 = quantile(durations, 0.95)
    if duration <= p95 + SLOW_NOISE_FLOOR:
        return None
    median = quantile(durations, 0.5)
    return (
        f"{duration:.2f}s vs median {median:.2f}s, p95 {p95:.2f}s ({len(durations)} nightly runs)"
    )


def triage(
    snapshot: Snapshot, baseline: Baseline | None, quarantine: list[QuarantineEntry]
) -> Triage:
    """Every test of ``snapshot`` against its history in ``baseline``."""
    found = Triage()
    histories = baseline.tests if baseline else {}
    has_baseline = bool(baseline and baseline.runs)
    current: dict[str, str] = {}
    for layer, results in sorted(snapshot.tests.items()):
        for nodeid, result in sorted(results.items()):
            current[nodeid] = layer
            history = histories.get(nodeid)
            if result.outcome in ("failed", "quarantined") or result.flaky:
                listed = FailedTest(
                    nodeid,
                    layer,
                    result.failure,
                    judge(history, has_baseline),
                    _failed_on(snapshot, layer, nodeid) if result.outcome == "failed" else (),
                    result.reruns,
                    entry_for(quarantine, nodeid),
                )
                if result.outcome == "failed":
                    found.failed.append(listed)
                elif result.outcome == "quarantined":
                    found.quarantined.append(listed)
                else:
                    found.flaky.append(listed)
            if not has_baseline:
                continue
            if history is None:
                found.new_tests.append(TestChange(nodeid, layer, result.outcome))
                continue
            if result.outcome == "skipped" and history.outcomes[-1:] != "S":
                found.newly_skipped.append(TestChange(nodeid, layer, "skipped"))
            slow = (
                None
                if result.outcome == "skipped"
                else _slowdown(result.duration, history.durations)
            )
            if slow:
                found.slow.append(TestChange(nodeid, layer, slow, result.duration))
    for nodeid, history in sorted(histories.items()):
        if history.layer in snapshot.tests and nodeid not in current:
            found.removed_tests.append(TestChange(nodeid, history.layer, "removed"))

    def telling(test: FailedTest) -> tuple[int, bool, str]:
        failure = test.failure
        return (test.verdict.kind, not (failure and failure.located), test.nodeid)

    found.failed.sort(key=telling)
    found.flaky.sort(key=telling)
    found.slow.sort(key=lambda t: (-t.seconds, t.nodeid))
    found.slow = found.slow[:MAX_SLOW]
    return found
