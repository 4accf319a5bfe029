"""Compare ci-metrics with coverage.py's JSON report and with diff-cover, file by file.

Pure functions over the three tools' outputs; every disagreement becomes one line of
the returned list, so a check run says exactly what differs.

* Against ``coverage json --show-contexts``: the same files; per file the same
  statements (executed + missing), missing lines, branch exits and missing arcs;
  per layer the same executed statements as ``coverage json --contexts=^layer$``.
* Against diff-cover (same data, ``coverage xml``): counted line by line, the changed
  lines measured and those uncovered agree exactly. ci-metrics counts a changed
  continuation line of a multi-line statement as that statement; the only difference
  allowed is exactly those statements.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ci_metrics.model.diff_coverage import file_diff
from ci_metrics.model.lineranges import RangeSet, from_ranges


@dataclass
class Agreement:
    """What was compared and what disagreed."""

    files: int = 0
    layers: int = 0
    changed_files: int = 0
    line_level: int = 0  # changed lines measured, line by line (diff-cover's convention)
    continuation_only: int = 0  # statements counted through continuation lines alone
    problems: list[str] = field(default_factory=list)


def compare_with_coverage(
    ours: Mapping[str, Mapping[str, Any]],
    truth: Mapping[str, Any],
    per_layer: Mapping[str, Mapping[str, Any]],
    result: Agreement,
) -> None:
    """Snapshot files against coverage.py's JSON report, and per-layer reports."""
    reported = truth["files"]
    for name in sorted(set(reported) ^ set(ours)):
        where = "coverage.py" if name in reported else "ci-metrics"
        result.problems.append(f"{name}: reported by {where} only")
    for name in sorted(set(reported) & set(ours)):
        result.files += 1
        entry, report = ours[name], reported[name]
        # Older coverage.py versions also list excluded lines that ran as executed.
        excluded = set(report.get("excluded_lines", []))
        executed, missing = set(report["executed_lines"]), set(report["missing_lines"])
        if from_ranges(entry["statements"]) != (executed | missing) - excluded:
            result.problems.append(f"{name}: statements differ")
        if from_ranges(entry["missing"]) != missing:
            result.problems.append(f"{name}: missing lines differ")
        exits = sum(count for count, _dests in entry["branches"].values())
        if exits != report["summary"].get("num_branches", 0):
            result.problems.append(
                f"{name}: {exits} branch exits, coverage.py {report['summary'].get('num_branches')}"
            )
        arcs = {(int(line), d) for line, (_c, dests) in entry["branches"].items() for d in dests}
        if arcs != {tuple(arc) for arc in report.get("missing_branches", [])}:
            result.problems.append(f"{name}: missing branches differ")
        for layer, layer_report in per_layer.items():
            expected = set(layer_report["files"].get(name, {}).get("executed_lines", [])) - excluded
            got = from_ranges(entry["layers"].get(layer, []))
            if got != expected:
                result.problems.append(
                    f"{name}: layer {layer} ran {len(got)} statements, coverage.py says "
                    f"{len(expected)} (only ours: {sorted(got - expected)[:5]}, "
                    f"only coverage.py: {sorted(expected - got)[:5]})"
                )
            result.layers += 1
    totals = truth["totals"]
    statements = sum(len(from_ranges(e["statements"])) for e in ours.values())
    if statements != totals["num_statements"]:
        result.problems.append(f"total statements {statements} != {totals['num_statements']}")


def compare_with_diff_cover(
    ours: Mapping[str, Mapping[str, Any]],
    changed: Mapping[str, set[int]],
    diff_cover: Mapping[str, Any],
    result: Agreement,
) -> None:
    """Changed lines, line by line against diff-cover; statement by statement beyond it."""
    stats = diff_cover.get("src_stats", {})
    for name in sorted(changed):
        entry = ours.get(name)
        theirs = stats.get(name)
        if entry is None:
            if theirs and (theirs.get("covered_lines") or theirs.get("violation_lines")):
                result.problems.append(f"{name}: diff-cover measures it, ci-metrics has no data")
            continue
        lines = changed[name]
        statements = RangeSet(entry["statements"])
        missing = RangeSet(entry["missing"])
        measured = {line for line in lines if line in statements}
        uncovered = {line for line in measured if line in missing}
        their_covered = set(theirs.get("covered_lines", [])) if theirs else set()
        their_uncovered = set(theirs.get("violation_lines", [])) if theirs else set()
        if measured or theirs:
            result.changed_files += 1
        if measured != their_covered | their_uncovered:
            result.problems.append(
                f"{name}: changed lines measured: ci-metrics {sorted(measured)[:8]}, "
                f"diff-cover {sorted(their_covered | their_uncovered)[:8]}"
            )
        if uncovered != their_uncovered:
            result.problems.append(
                f"{name}: uncovered changed lines: ci-metrics {sorted(uncovered)[:8]}, "
                f"diff-cover {sorted(their_uncovered)[:8]}"
            )
        result.line_level += len(measured)
        spans = RangeSet(entry.get("multiline", []))
        through_continuation = set()
        for line in lines - measured:
            span = spans.run_of(line)
            if span is not None and span[0] in statements and span[0] not in lines:
                through_continuation.add(span[0])
        counted = file_diff(name, entry, lines, None)
        expected = len(measured) + len(through_continuation)
        if counted.statements != expected:
            result.problems.append(
                f"{name}: ci-metrics counts {counted.statements} changed statements; the "
                f"{len(measured)} diff-cover lines plus {len(through_continuation)} reached "
                f"through continuation lines make {expected}"
            )
        result.continuation_only += len(through_continuation)
