"""What a test's nightly history says about its failure today.

A failed or flaky test of a pull request is judged by its own history in the
baseline (:class:`~ci_metrics.model.baseline.TestHistory`, one letter per
nightly run): a test that passed every night and fails now is new with this
change; one that failed on the default branch too is not the pull request's
doing; one that flaked there is probably flaky. Every verdict says how many
runs it rests on.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from ci_metrics.model.baseline import TestHistory


class Kind(IntEnum):
    """A verdict's kind, in the order a reader should look at them."""

    NEW_WITH_CHANGE = 0
    NEW_TEST = 1
    FAILING_ON_MAIN = 2
    PROBABLY_FLAKY = 3
    UNKNOWN = 4


@dataclass(frozen=True)
class Verdict:
    """A test's history in words (``passed in 30 of 30 nightly runs``) and what it means."""

    kind: Kind
    history: str
    meaning: str

    @property
    def known(self) -> bool:
        """Whether the baseline holds a history of the test."""
        return self.kind not in (Kind.NEW_TEST, Kind.UNKNOWN)

    def __str__(self) -> str:
        return f"{self.history}: {self.meaning}" if self.history else self.meaning


def _runs(count: int) -> str:
    return f"{count} nightly run{'s' if count != 1 else ''}"


def judge(history: TestHistory | None, has_baseline: bool) -> Verdict:
    """The verdict on a test that failed or flaked today, from its nightly ``history``
    (``None``: the baseline does not know it; ``has_baseline``: there is a baseline)."""
    if not has_baseline:
        return Verdict(Kind.UNKNOWN, "", "no nightly baseline yet: history unknown")
    if history is None or not history.outcomes:
        return Verdict(Kind.NEW_TEST, "", "new test: in no nightly run")
    letters = history.outcomes
    runs = len(letters)
    failed = letters.count("F") + letters.count("Q")
    flaked = letters.count("R")
    passed = letters.count("P") + letters.count("U")
    if failed:
        also = f", flaked in {flaked}" if flaked else ""
        return Verdict(
            Kind.FAILING_ON_MAIN,
            f"failed in {failed} of {_runs(runs)}{also}",
            "failing on main too",
        )
    if flaked:
        return Verdict(
            Kind.PROBABLY_FLAKY, f"flaked in {flaked} of {_runs(runs)}", "probably flaky"
        )
    skipped = runs - passed
    if not passed:
        return Verdict(
            Kind.NEW_WITH_CHANGE, f"skipped in all {_runs(runs)}", "runs with this change"
        )
    rest = f" (not run in {skipped})" if skipped else ""
    return Verdict(
        Kind.NEW_WITH_CHANGE, f"passed in {passed} of {_runs(runs)}{rest}", "new with this change"
    )
