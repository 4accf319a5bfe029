"""The corpus comparison names every disagreement (a check that cannot fail is no check)."""

from __future__ import annotations

import copy

from ci_metrics.model.lineranges import to_ranges
from tests.corpus.compare import Agreement, compare_with_coverage, compare_with_diff_cover


def file_entry(statements, missing=(), *, multiline=(), branches=None, layers=None):
    """A ci-metrics snapshot file entry from plain line lists."""
    return {
        "statements": to_ranges(statements),
        "missing": to_ranges(missing),
        "multiline": [list(m) for m in multiline],
        "branches": branches or {},
        "layers": {name: to_ranges(lines) for name, lines in (layers or {}).items()},
    }


# def f(x):            1
#     if x:            2
#         return g(    3
#             x,       4
#         )            5
#     return 0         6
OURS = {
    "pkg/m.py": file_entry(
        [1, 2, 3, 6],
        missing=[6],
        multiline=[(3, 5)],
        branches={"2": [2, [6]]},
        layers={"unit": [1, 2, 3]},
    )
}
TRUTH = {
    "files": {
        "pkg/m.py": {
            "executed_lines": [1, 2, 3],
            "missing_lines": [6],
            "summary": {"num_branches": 2},
            "missing_branches": [[2, 6]],
        }
    },
    "totals": {"num_statements": 4},
}
PER_LAYER = {"unit": {"files": {"pkg/m.py": {"executed_lines": [1, 2, 3]}}}}
DIFF_COVER = {"src_stats": {"pkg/m.py": {"covered_lines": [2], "violation_lines": [6]}}}


def test_compare_with_coverage__agreement_has_no_problems():
    result = Agreement()
    compare_with_coverage(OURS, TRUTH, PER_LAYER, result)
    assert (result.problems, result.files, result.layers) == ([], 1, 1)


def test_compare_with_coverage__every_difference_is_named():
    truth = copy.deepcopy(TRUTH)
    truth["files"]["pkg/m.py"]["missing_lines"] = [3, 6, 7]
    truth["files"]["pkg/m.py"]["summary"]["num_branches"] = 4
    truth["files"]["pkg/other.py"] = truth["files"]["pkg/m.py"]
    truth["totals"]["num_statements"] = 9
    per_layer = {"unit": {"files": {"pkg/m.py": {"executed_lines": [1, 2]}}}}
    result = Agreement()
    compare_with_coverage(OURS, truth, per_layer, result)
    text = "\n".join(result.problems)
    assert "pkg/other.py: reported by coverage.py only" in text
    assert "pkg/m.py: statements differ" in text
    assert "pkg/m.py: missing lines differ" in text
    assert "pkg/m.py: 2 branch exits, coverage.py 4" in text
    assert "pkg/m.py: layer unit ran 3 statements, coverage.py says 2" in text
    assert "total statements 4 != 9" in text


def test_compare_with_diff_cover__continuation_lines_are_the_only_difference():
    result = Agreement()
    # Line 2 (a statement) and 4 (a continuation of statement 3) changed, and line 6.
    compare_with_diff_cover(OURS, {"pkg/m.py": {2, 4, 6}}, DIFF_COVER, result)
    assert result.problems == []
    assert (result.line_level, result.continuation_only) == (2, 1)


def test_compare_with_diff_cover__line_level_disagreement_is_named():
    result = Agreement()
    theirs = {"src_stats": {"pkg/m.py": {"covered_lines": [2, 6], "violation_lines": []}}}
    compare_with_diff_cover(OURS, {"pkg/m.py": {2, 6}}, theirs, result)
    assert any("uncovered changed lines" in p for p in result.problems)


def test_compare_with_diff_cover__file_measured_only_by_diff_cover_is_named():
    result = Agreement()
    theirs = {"src_stats": {"pkg/new.py": {"covered_lines": [1], "violation_lines": []}}}
    compare_with_diff_cover(OURS, {"pkg/new.py": {1}}, theirs, result)
    assert result.problems == ["pkg/new.py: diff-cover measures it, ci-metrics has no data"]
