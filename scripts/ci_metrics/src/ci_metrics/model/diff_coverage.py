"""Diff coverage: which changed statements and branches ran, and which layer ran them.

A changed line inside a multi-line statement counts as that statement (once), and
the branches leaving a changed statement count towards branch diff coverage.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ci_metrics.model.lineranges import RangeSet
from ci_metrics.model.metrics import percent
from ci_metrics.settings import Settings


@dataclass
class FileDiff:
    """Diff coverage of one changed file."""

    path: str
    owner: str | None
    statements: int = 0
    covered: int = 0
    missing_lines: list[int] = field(default_factory=list)
    branches: int = 0
    covered_branches: int = 0
    missing_branches: list[tuple[int, int]] = field(default_factory=list)
    owner_statements: int = 0
    owner_covered: int = 0
    foreign_only: dict[int, list[str]] = field(default_factory=dict)


@dataclass
class DiffCoverage:
    """Diff coverage over all changed Python files."""

    files: list[FileDiff]
    unmeasured: list[str]

    @property
    def statements(self) -> int:
        """Changed statements."""
        return sum(f.statements for f in self.files)

    @property
    def covered(self) -> int:
        """Changed statements that ran."""
        return sum(f.covered for f in self.files)

    @property
    def lines_percent(self) -> float | None:
        """Line diff coverage."""
        return percent(self.covered, self.statements)

    @property
    def branches_percent(self) -> float | None:
        """Branch diff coverage of branches leaving changed statements."""
        return percent(
            sum(f.covered_branches for f in self.files), sum(f.branches for f in self.files)
        )

    def owner_percent(self, layer: str) -> float | None:
        """Changed statements in ``layer``'s paths run by ``layer`` itself."""
        mine = [f for f in self.files if f.owner == layer]
        return percent(sum(f.owner_covered for f in mine), sum(f.owner_statements for f in mine))


def file_diff(
    path: str, entry: Mapping[str, Any], changed: set[int], owner: str | None
) -> FileDiff:
    """Diff coverage of one file's changed lines."""
    statements = RangeSet(entry["statements"])
    spans = RangeSet(entry.get("multiline", []))
    touched = set()
    for line in changed:
        if line in statements:
            touched.add(line)
        elif (span := spans.run_of(line)) is not None and span[0] in statements:
            touched.add(span[0])
    missing_runs = RangeSet(entry["missing"])
    missing = {line for line in touched if line in missing_runs}
    result = FileDiff(path=path, owner=owner, statements=len(touched))
    result.covered = len(touched) - len(missing)
    result.missing_lines = sorted(missing)
    branch_table = entry.get("branches", {})
    for line in sorted(touched):
        exits_missing = branch_table.get(str(line))
        if exits_missing:
            exits, missing_dests = exits_missing
            result.branches += exits
            result.covered_branches += exits - len(missing_dests)
            result.missing_branches.extend((line, dest) for dest in missing_dests)
    if owner is not None:
        layers = {name: RangeSet(runs) for name, runs in entry["layers"].items()}
        mine = layers.get(owner, RangeSet([]))
        result.owner_statements = len(touched)
        result.owner_covered = sum(1 for line in touched if line in mine)
        for line in sorted(line for line in touched - missing if line not in mine):
            others = sorted(n for n, lines in layers.items() if line in lines)
            if others:  # data recorded without contexts cannot name a layer
                result.foreign_only[line] = others
    return result


def diff_coverage(
    files: Mapping[str, Mapping[str, Any]],
    changed: Mapping[str, set[int]],
    settings: Settings,
    keep: Callable[[str], bool] = lambda _p: True,
) -> DiffCoverage:
    """Diff coverage of ``changed`` lines (Python files only) against snapshot ``files``."""
    results: list[FileDiff] = []
    unmeasured: list[str] = []
    for path in sorted(changed):
        if not keep(path):
            continue
        entry = files.get(path)
        if entry is None:
            # Only code a layer owns is expected to be measured; a changed test,
            # benchmark or tool script outside those paths is not a gap.
            if settings.owning_layer(path) is not None:
                unmeasured.append(path)
            continue
        fd = file_diff(path, entry, changed[path], settings.owning_layer(path))
        if fd.statements:
            results.append(fd)
    return DiffCoverage(results, unmeasured)
