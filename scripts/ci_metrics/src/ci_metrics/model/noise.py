"""How much a coverage figure moves between runs that should agree: its run-to-run noise.

Coverage of the same code can differ from run to run (timing-dependent paths,
retries, the order workers pick tests up). The noise is measured on the
baseline's own runs and its **repeats** (other runs of a nightly run's commit,
such as the push run of the default branch that uploaded its snapshot: see
:class:`~ci_metrics.model.baseline.Repeat`):

* **runs of the same commit** in the window (a nightly run and a repeat of its
  commit, a night with no new commit, or a manual rerun): the largest spread
  (highest minus lowest) among the runs of any one commit, over all the runs
  that share a commit;
* otherwise, when no commit ran twice, the **median change between
  consecutive nightly runs**: real changes and noise together, the median keeping
  the few nights that changed much out of it (repeats are not in that sequence);
  the comment says which was used;
* with fewer than two runs, no estimate (``points`` is ``None``).

A change within the noise is shown neutral, and the "must not drop" gate
allows a fall of at most the noise.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

SAME_COMMIT = "runs of the same commit"
CONSECUTIVE = "median change between consecutive runs, no commit ran twice"
# Figures carry two decimals: a change within this of the noise is the noise.
_ROUNDING = 0.005


@dataclass(frozen=True)
class Noise:
    """The noise of one figure in percentage points, what it rests on and how it was found."""

    points: float | None
    runs: int
    basis: str = ""
    #: How many of ``runs`` are repeats rather than nightly runs.
    repeats: int = 0

    def within(self, change: float) -> bool:
        """Whether a change of ``change`` points is no larger than the noise."""
        return self.points is not None and abs(change) <= self.points + _ROUNDING

    def sample(self) -> str:
        """What the estimate rests on: ``4 runs``, or ``2 runs: 1 nightly, 1 repeat``."""
        text = f"{self.runs} run{'s' if self.runs != 1 else ''}"
        if not self.repeats:
            return text
        nightly = self.runs - self.repeats
        return f"{text}: {nightly} nightly, {self.repeats} repeat{'s' if self.repeats != 1 else ''}"

    def describe(self) -> str:
        """``±0.04 (runs of the same commit, 4 runs)``; or why there is no estimate."""
        if self.points is None:
            return f"no estimate ({self.sample()})"
        return f"±{self.points:.2f} ({self.basis}, {self.sample()})"


def coverage_noise(
    samples: Iterable[tuple[str, float | None]],
    repeats: Iterable[tuple[str, float | None]] = (),
) -> Noise:
    """The noise of a figure from the nightly runs' ``(commit, value)`` samples, oldest
    first, and the repeats' (other runs of those commits: they count among the runs of
    their commit, never in the consecutive changes). ``None`` values, runs that did not
    measure it, are left out."""
    measured = [(sha, value) for sha, value in samples if value is not None]
    by_commit: dict[str, list[float]] = {}
    for sha, value in measured:
        if sha:
            by_commit.setdefault(sha, []).append(value)
    repeated_by: dict[str, int] = {}
    for commit, figure in repeats:
        if commit and figure is not None:
            by_commit.setdefault(commit, []).append(figure)
            repeated_by[commit] = repeated_by.get(commit, 0) + 1
    repeated = {sha: values for sha, values in by_commit.items() if len(values) > 1}
    if repeated:
        spread = max(max(values) - min(values) for values in repeated.values())
        return Noise(
            round(spread, 4),
            sum(len(values) for values in repeated.values()),
            SAME_COMMIT,
            sum(repeated_by.get(sha, 0) for sha in repeated),
        )
    if len(measured) < 2:
        return Noise(None, len(measured))
    values = [value for _sha, value in measured]
    changes = [abs(b - a) for a, b in itertools.pairwise(values)]
    return Noise(round(statistics.median(changes), 4), len(values), CONSECUTIVE)
