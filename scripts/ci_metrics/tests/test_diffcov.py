"""Diff coverage: statements, multi-line statements, branches and owning layers."""

from __future__ import annotations

from ci_metrics.model.diff_coverage import diff_coverage, file_diff
from support.snapshots import file_entry

ENTRY = file_entry(
    [1, 2, 3, 4, 8, 9],
    missing=[8, 9],
    multiline=[(4, 7)],
    branches={"2": [2, [8]], "3": [2, []]},
    layers={"api": [1, 2], "auth": [3, 4]},
)


def test_file_diff__continuation_line_counts_its_statement_once():
    fd = file_diff("apps/api/x.py", ENTRY, {5, 6, 7}, "api")
    assert (fd.statements, fd.covered) == (1, 1)


def test_file_diff__branches_leaving_changed_lines_count():
    fd = file_diff("apps/api/x.py", ENTRY, {2, 3, 10}, "api")
    assert (fd.branches, fd.covered_branches) == (4, 3)
    assert fd.missing_branches == [(2, 8)]


def test_file_diff__missing_lines_and_lines_covered_only_by_other_layers():
    fd = file_diff("apps/api/x.py", ENTRY, {1, 3, 4, 8, 9}, "api")
    assert fd.missing_lines == [8, 9]
    assert (fd.owner_statements, fd.owner_covered) == (5, 1)
    assert fd.foreign_only == {3: ["auth"], 4: ["auth"]}


def test_file_diff__span_of_a_non_statement_is_ignored():
    entry = file_entry([1, 9], multiline=[(2, 5)], layers={"api": [1, 9]})
    fd = file_diff("apps/api/x.py", entry, {3, 4}, "api")
    assert fd.statements == 0


def test_file_diff__an_entry_without_multiline_or_branches_counts_its_lines():
    """A snapshot must have statements, missing and layers; spans and branches are optional."""
    entry = {"statements": [[1, 3]], "missing": [[2, 2]], "layers": {"api": [[1, 1], [3, 3]]}}
    fd = file_diff("apps/api/x.py", entry, {1, 2, 5}, "api")
    assert (fd.statements, fd.covered, fd.missing_lines) == (2, 1, [2])
    assert (fd.branches, fd.covered_branches, fd.missing_branches) == (0, 0, [])


def test_file_diff__no_owner_skips_layer_accounting():
    fd = file_diff("tools/x.py", ENTRY, {1, 3}, None)
    assert (fd.owner_statements, fd.foreign_only) == (0, {})


def test_diff_coverage__totals_owner_percent_unmeasured_and_filter(settings):
    files = {
        "apps/api/x.py": ENTRY,
        "apps/auth_service/t.py": file_entry([1, 2], layers={"auth": [1, 2]}),
    }
    changed = {
        "apps/api/x.py": {1, 8, 20},
        "apps/auth_service/t.py": {1, 2},
        "apps/api/new.py": {1},
        "apps/api/x_comment_only.py": set(),
        "tests/unit/api/test_new.py": {1, 2},
    }
    files["apps/api/x_comment_only.py"] = file_entry([5])
    dcov = diff_coverage(files, changed, settings)
    assert [f.path for f in dcov.files] == ["apps/api/x.py", "apps/auth_service/t.py"]
    assert dcov.unmeasured == ["apps/api/new.py"]
    assert (dcov.statements, dcov.covered, dcov.lines_percent) == (4, 3, 75.0)
    assert dcov.branches_percent is None
    assert dcov.owner_percent("api") == 50.0
    assert dcov.owner_percent("auth") == 100.0
    assert dcov.owner_percent("integration") is None
    kept = diff_coverage(files, changed, settings, keep=lambda p: "auth" in p)
    assert kept.lines_percent == 100.0


def test_file_diff__line_run_without_context_data_is_not_flagged():
    entry = file_entry([1, 2], layers={})
    fd = file_diff("apps/api/x.py", entry, {1, 2}, "api")
    assert (fd.covered, fd.owner_covered, fd.foreign_only) == (2, 0, {})
