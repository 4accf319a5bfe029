"""Figures derived from a snapshot: project, per-file and per-layer coverage, layer runtime."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ci_metrics.model.outcomes import count_outcomes
from ci_metrics.model.snapshot import Snapshot
from ci_metrics.settings import Settings


def percent(covered: int, total: int) -> float | None:
    """``covered / total`` as a percentage with two decimals; ``None`` when nothing counts."""
    return None if total == 0 else round(100.0 * covered / total, 2)


def run_length(runs: Any) -> int:
    """How many lines a list of ``[start, end]`` runs holds, without expanding it."""
    return sum(end - start + 1 for start, end in runs)


@dataclass(frozen=True)
class Totals:
    """Counts behind a coverage percentage."""

    statements: int = 0
    covered: int = 0
    branches: int = 0
    covered_branches: int = 0

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            self.statements + other.statements,
            self.covered + other.covered,
            self.branches + other.branches,
            self.covered_branches + other.covered_branches,
        )

    @property
    def lines_percent(self) -> float | None:
        """Line coverage."""
        return percent(self.covered, self.statements)

    @property
    def branches_percent(self) -> float | None:
        """Branch coverage (``None`` without branch data)."""
        return percent(self.covered_branches, self.branches)


def file_totals(entry: Mapping[str, Any]) -> Totals:
    """Totals of one snapshot file entry."""
    statements = run_length(entry["statements"])
    branches = covered_branches = 0
    for exits, missing in entry.get("branches", {}).values():
        branches += exits
        covered_branches += exits - len(missing)
    return Totals(statements, statements - run_length(entry["missing"]), branches, covered_branches)


def project_totals(
    files: Mapping[str, Mapping[str, Any]], keep: Callable[[str], bool] = lambda _p: True
) -> Totals:
    """Totals over every file for which ``keep(path)`` is true."""
    total = Totals()
    for path, entry in files.items():
        if keep(path):
            total = total + file_totals(entry)
    return total


def owned_by(settings: Settings, layer: str) -> Callable[[str], bool]:
    """Predicate: is a path inside the paths ``layer`` owns.

    Every owned file counts, also those a more specific layer owns too: an
    end-to-end layer owning ``apps`` answers for the share of all of it its tests ran.
    """

    def keep(path: str) -> bool:
        return settings.owns(layer, path)

    return keep


def layer_line_coverage(
    files: Mapping[str, Mapping[str, Any]],
    settings: Settings,
    layer: str,
    keep: Callable[[str], bool] = lambda _p: True,
) -> float | None:
    """Lines of the layer's own paths executed by the layer's own tests."""
    owned = owned_by(settings, layer)
    statements = covered = 0
    for path, entry in files.items():
        if owned(path) and keep(path):
            statements += run_length(entry["statements"])
            # Layer lines are a subset of the statements, as disjoint runs.
            covered += run_length(entry["layers"].get(layer, []))
    return percent(covered, statements)


def layer_has_data(snapshot: Snapshot, layer: str) -> bool:
    """Whether some file of the snapshot records lines run under ``layer``'s context."""
    return any(layer in entry["layers"] for entry in snapshot.files.values())


def layer_ran(snapshot: Snapshot, layer: str) -> bool:
    """Whether the snapshot holds results or coverage contexts of ``layer``."""
    return layer in snapshot.tests or any(layer in e["layers"] for e in snapshot.files.values())


WALL = "wall"  # the layer's test command, timed by tox
TEST_SUM = "tests"  # the sum of the layer's test durations (no tox result)


@dataclass(frozen=True)
class Runtime:
    """How long a layer took, and what the figure measures (``WALL`` or ``TEST_SUM``)."""

    seconds: float
    kind: str


def layer_runtime(snapshot: Snapshot, layer: str) -> Runtime | None:
    """The layer's wall time from tox's result, else the sum of its test durations."""
    if layer in snapshot.timing:
        return Runtime(snapshot.timing[layer].test, WALL)
    results = snapshot.tests.get(layer)
    if not results:
        return None
    return Runtime(round(sum(r.duration for r in results.values()), 3), TEST_SUM)


def layer_summary(snapshot: Snapshot, settings: Settings) -> dict[str, dict[str, Any]]:
    """Per configured layer: outcome counts, duration and owned-path line coverage."""
    summary: dict[str, dict[str, Any]] = {}
    for layer in settings.layers:
        counts = count_outcomes(snapshot.tests.get(layer, {}))
        runtime = layer_runtime(snapshot, layer)
        summary[layer] = {
            **counts,
            "duration": runtime.seconds if runtime else None,
            "duration_kind": runtime.kind if runtime else None,
            "coverage": layer_line_coverage(snapshot.files, settings, layer)
            if layer_ran(snapshot, layer)
            else None,
        }
    return summary
