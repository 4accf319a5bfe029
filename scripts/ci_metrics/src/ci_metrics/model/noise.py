"""How much a coverage figure moves between runs that should agree: its run-to-run noise.

Coverage of the same code can differ from run to run (timing-dependent paths,
retries, the order workers pick tests up). The noise is measured on the
baseline's own runs:

* **runs of the same commit** in the window (a night with no new commit, or a
  manual rerun): the largest spread (highest minus lowest) among the runs of
  any one commit, over all the runs that share a commit;
* otherwise, when no commit ran twice, the **median change between
  consecutive runs**: real changes and noise together, the median keeping the
  few nights that changed much out of it; the comment says which was used;
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

    def within(self, change: float) -> bool:
        """Whether a change of ``change`` points is no larger than the noise."""
        return self.points is not None and abs(change) <= self.points + _ROUNDING

    def describe(self) -> str:
        """``±0.04 (runs of the same commit, 4 runs)``; or why there is no estimate."""
        if self.points is None:
            return f"no estimate ({self.runs} run{'s' if self.runs != 1 else ''})"
        return f"±{self.points:.2f} ({self.basis}, {self.runs} runs)"


def coverage_noise(samples: Iterable[tuple[str, float | None]]) -> Noise:
    """The noise of a figure from ``(commit, value)`` samples, oldest first (``None``
    values, runs that did not measure it, are left out)."""
    measured = [(sha, value) for sha, value in samples if value is not None]
    by_commit: dict[str, list[float]] = {}
    for sha, value in measured:
        if sha:
            by_commit.setdefault(sha, []).append(value)
    repeated = [values for values in by_commit.values() if len(values) > 1]
    if repeated:
        spread = max(max(values) - min(values) for values in repeated)
        return Noise(round(spread, 4), sum(len(values) for values in repeated), SAME_COMMIT)
    if len(measured) < 2:
        return Noise(None, len(measured))
    values = [value for _sha, value in measured]
    changes = [abs(b - a) for a, b in itertools.pairwise(values)]
    return Noise(round(statistics.median(changes), 4), len(values), CONSECUTIVE)
