"""Compact encodings of sets of line numbers as sorted ``[start, end]`` runs."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence


def to_ranges(lines: Iterable[int]) -> list[list[int]]:
    """Collapse line numbers into sorted, inclusive ``[start, end]`` runs."""
    runs: list[list[int]] = []
    for line in sorted(set(lines)):
        if runs and line == runs[-1][1] + 1:
            runs[-1][1] = line
        else:
            runs.append([line, line])
    return runs


def from_ranges(runs: Iterable[Iterable[int]]) -> set[int]:
    """Expand ``[start, end]`` runs back into a set of line numbers."""
    lines: set[int] = set()
    for start, end in (tuple(run) for run in runs):
        lines.update(range(start, end + 1))
    return lines


def format_ranges(lines: Iterable[int]) -> str:
    """Human form: ``3-5, 9``."""
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in to_ranges(lines))


class RangeSet:
    """Membership tests on ``[start, end]`` runs without expanding them."""

    def __init__(self, runs: Sequence[Sequence[int]]) -> None:
        self.runs = runs
        self.starts = [run[0] for run in runs]

    def __contains__(self, line: int) -> bool:
        return self.run_of(line) is not None

    def run_of(self, line: int) -> Sequence[int] | None:
        """The run holding ``line``, if any."""
        index = bisect_right(self.starts, line) - 1
        if index >= 0 and line <= self.runs[index][1]:
            return self.runs[index]
        return None
