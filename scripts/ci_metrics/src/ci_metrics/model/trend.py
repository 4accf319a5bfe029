"""The trend over the baseline window: one point per nightly run (and this run, if given).

Each point holds what the charts show: project line coverage, each layer's
runtime and the number of flaky tests. A figure a run did not record (runs
merged before the flaky count was kept) stays ``None``: charts leave it out and
tables show a dash.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ci_metrics.model.baseline import Baseline


@dataclass(frozen=True)
class TrendPoint:
    """One run's figures, labelled for an axis (``03-01``, ``03-01 #2`` for a second run
    that day; ``head`` for this run)."""

    label: str
    sha: str
    lines: float | None
    runtimes: Mapping[str, float | None] = field(default_factory=dict)
    flaky: int | None = None


def trend_points(baseline: Baseline | None, layers: list[str]) -> list[TrendPoint]:
    """The baseline's runs, oldest first, as trend points over ``layers``."""
    points: list[TrendPoint] = []
    seen: dict[str, int] = {}
    for run in baseline.runs if baseline else []:
        day = run.created_at[5:10] or run.run_id or "?"
        seen[day] = seen.get(day, 0) + 1
        label = day if seen[day] == 1 else f"{day} #{seen[day]}"
        runtimes = {
            layer: figures.duration if (figures := run.layers.get(layer)) else None
            for layer in layers
        }
        points.append(TrendPoint(label, run.sha, run.totals.lines, runtimes, run.flaky))
    return points
