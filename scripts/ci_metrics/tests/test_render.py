"""Rendering: golden comments, size fitting, step summary, annotations, key figures."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import msgspec
import pytest

from ci_metrics.model.diff_coverage import DiffCoverage, FileDiff
from ci_metrics.model.report import PullRequest, human_age
from ci_metrics.render.annotations import line_annotations
from ci_metrics.render.comment import SUMMARY_LIMIT, render_comment, render_summary
from ci_metrics.render.outputs import github_output
from support.context import NOW
from support.report_samples import bare_report, report_of, rich_report

GOLDEN = Path(__file__).parent / "golden"
MARKER = "<!-- ci-metrics:sticky -->"


@pytest.mark.parametrize(
    ("name", "factory"), [("comment_rich", rich_report), ("comment_bare", bare_report)]
)
def test_render_comment__matches_golden_file(name, factory):
    expected = (GOLDEN / f"{name}.md").read_text(encoding="utf-8")
    assert render_comment(factory(), MARKER, 65536) == expected


def test_render_comment__drops_sections_in_order_and_says_so():
    report = rich_report()
    full = render_comment(report, MARKER, 65536)
    without_trend = render_comment(report, MARKER, len(full) - 200)
    assert "left out trend." in without_trend
    assert "```mermaid" not in without_trend
    limit = len(without_trend) - 100
    fitted = render_comment(report, MARKER, limit)
    assert len(fitted) <= limit
    assert "left out trend, slow" in fitted
    assert "### Slowest regressions" not in fitted
    assert "### Layers" in fitted
    assert "### Changed files" in fitted


def test_render_comment__last_resort_truncation_keeps_marker_and_limit():
    fitted = render_comment(rich_report(), MARKER, 600)
    assert len(fitted) <= 600
    assert fitted.startswith(MARKER)
    assert fitted.endswith("_Truncated to fit the size limit._\n")


def test_render_comment__caps_file_list_and_points_to_summary():
    files = [
        FileDiff(path=f"apps/api/m{i:03}.py", owner="api", statements=1, missing_lines=[1])
        for i in range(60)
    ]
    report = rich_report()
    report.diff = DiffCoverage(files, [f"apps/api/new{i}.py" for i in range(25)])
    comment = render_comment(report, MARKER, 65536)
    assert "_…and 10 more files (see the job summary)._" in comment
    assert "and 5 more" in comment
    summary = render_summary(report)
    assert "m059.py" in summary
    assert "more files" not in summary


def test_render_summary__stays_under_one_mebibyte():
    report = rich_report()
    long = "x" * 300
    report.diff = DiffCoverage(
        [
            FileDiff(path=f"apps/api/{long}{i}.py", owner="api", statements=1, missing_lines=[1])
            for i in range(4000)
        ],
        [],
    )
    summary = render_summary(report)
    assert len(summary.encode("utf-8")) <= SUMMARY_LIMIT
    assert "left out" in summary
    assert not summary.startswith(MARKER)


def test_line_annotations__grouped_and_capped_per_type():
    report = rich_report()
    lines = line_annotations(report, 10)
    assert lines[0] == (
        "::error file=apps/auth_service/tokens.py,line=8,"
        "title=tests/auth/test_tokens.py%3A%3Atest_issue failed::KeyError: 'kid' with "
        "token=[REDACTED] (passed in 5 of 5 nightly runs: new with this change)"
    )
    assert lines[1] == (
        "::warning file=apps/api/legacy|odd.py,line=2,endLine=2,"
        "title=Uncovered changed lines::Line 2 changed but no test ran it."
    )
    assert (
        "::warning file=apps/api/views.py,line=25,endLine=27,title=Uncovered changed lines"
        "::Lines 25-27 changed but no test ran them."
    ) in lines
    assert (
        "::notice file=apps/api/views.py,line=24,endLine=24,title=Missing branches"
        "::Branch(es) to 24→25 never taken."
    ) in lines
    assert (
        "::notice file=apps/auth_service/tokens.py,line=8,endLine=9,title=Covered only by "
        "another layer::Ran only under api, not under auth."
    ) in lines
    many = [
        FileDiff(
            path=f"a{i}.py", owner=None, statements=1, missing_lines=[1], missing_branches=[(1, -1)]
        )
        for i in range(30)
    ]
    report.diff = DiffCoverage(many, [])
    capped = line_annotations(report, 10)
    assert len(capped) == 21  # the failed test, then 10 of each kind of line
    assert "Branch(es) to 1→exit never taken." in capped[-1]
    assert line_annotations(bare_report(), 10) == []


def test_annotation_escaping_of_properties_and_data():
    report = rich_report()
    report.diff = DiffCoverage(
        [FileDiff(path="a,b:c%.py", owner=None, statements=1, missing_lines=[3])], []
    )
    assert line_annotations(report, 10)[1].startswith("::warning file=a%2Cb%3Ac%25.py,line=3")


def test_key_figures_and_github_output():
    report = rich_report()
    figures = report.key_figures()
    assert figures == {
        "coverage_lines": "82.50",
        "coverage_branches": "75.00",
        "diff_coverage": "63.64",
        "gates_passed": "false",
        "failed_gates": "3",
        "flaky_tests": "1",
        "failed_tests": "1",
        "quarantined_failures": "1",
        "actionable": "true",
    }
    assert github_output({"a": "1", "b": ""}) == "a=1\nb=\n"
    assert bare_report().key_figures()["diff_coverage"] == ""


def test_report_model__runtime_status_sparkline_and_links():
    report = rich_report()
    rows = {row.name: row for row in report.layers}
    assert rows["api"].runtime_status == "above p95"
    assert rows["auth"].runtime_status == "within band"
    assert rows["integration"].runtime_status == "no baseline"
    assert report.sparkline == "▅████▁"
    assert replace(report, trend=[80.0]).sparkline == ""
    assert replace(report, trend=[80.0, 80.0]).sparkline == "▁▁"
    assert PullRequest().diff_link("a.py") is None


@pytest.mark.parametrize(
    ("then", "expected"),
    [
        ("2026-03-01T11:59:30+00:00", "just now"),
        ("2026-03-01T11:00:00+00:00", "1 h"),
        ("2026-02-27T12:00:00+00:00", "2 d"),
        ("2026-03-01T11:55:00+00:00", "5 min"),
        ("garbage", "unknown"),
        ("2026-03-01T11:00:00", "unknown"),
    ],
)
def test_human_age(then, expected):
    assert human_age(then, NOW) == expected


def test_build_report__layer_that_did_not_run_fails_its_gate(make_snapshot, settings):

    from ci_metrics.settings import Thresholds
    from support.snapshots import file_entry

    snapshot = make_snapshot(
        files={
            "apps/api/a.py": file_entry([1, 2], layers={"api": [1, 2]}),
            "apps/auth_service/t.py": file_entry([1, 2], missing=[1, 2]),
        }
    )
    settings = msgspec.structs.replace(
        settings,
        thresholds=Thresholds(False, False, False, {"auth": 90.0}, project_no_drop=False),
    )
    for register in ([], rich_report().exceptions):
        report = report_of(snapshot, settings, register=register)
        rows = {row.name: row for row in report.layers}
        assert rows["api"].coverage == 100.0
        assert rows["auth"].coverage is None
        gates = {gate.name: gate for gate in report.gates}
        assert not gates["auth layer coverage"].passed
        assert gates["auth layer coverage"].describe() == (
            "auth layer coverage: no data: the auth tests did not run, "
            "or recorded no `auth` coverage context"
        )
        assert not gates["layer data"].passed
        assert (
            gates["layer data"]
            .describe()
            .startswith("layer data: layer auth has no data: did its tests run?")
        )


def test_render_comment__uncovered_ranges_link_to_their_lines_in_files_changed():
    comment = render_comment(rich_report(), MARKER, 65536)
    anchor = "https://github.com/octo/repo/pull/42/files#diff-" + (
        "f2d6db88f906a75f630c801162b51bda4cfc778f2dfe6f6ca9a560c48f832654"
    )
    assert f"[25-27]({anchor}R25)" in comment
    assert f"[24→25]({anchor}R24)" in comment


def test_render_comment__lists_only_files_with_uncovered_lines_or_branches():
    comment = render_comment(rich_report(), MARKER, 65536)
    table = comment.split("### Changed files with uncovered lines", 1)[1].split("###", 1)[0]
    assert "apps/api/views.py" in table
    assert "apps/auth_service/tokens.py" not in table  # covered, only by another layer


def test_render_comment__lines_covered_only_by_another_layer_are_summarised():
    report = rich_report()
    scattered = {line: ["integration"] for line in range(1, 140, 2)}
    report.diff.files.append(
        FileDiff(path="apps/api/wide.py", owner="api", statements=70, covered=70,
                 foreign_only=scattered)
    )  # fmt: skip
    comment = render_comment(report, MARKER, 65536)
    section = comment.split("### Covered only by another layer", 1)[1]
    summary, details = section.split("<details>", 1)
    assert "75 changed statement(s) in 3 file(s) ran only under another layer's tests" in summary
    assert "1, 3, 5" not in summary
    assert "`apps/api/wide.py` (api): 70 lines in 70 ranges (integration)" in details
    assert "1, 3, 5, 7" in details


def test_render_comment__register_sentence_only_when_an_entry_applies():
    without = render_comment(rich_report(register=[]), MARKER, 65536)
    assert "### Failed gates" in without
    assert "exception register" not in without
    unrelated = [e for e in rich_report().exceptions if e.module == "apps.auth_service.keys"]
    assert "leave out the modules" not in render_comment(
        rich_report(register=unrelated), MARKER, 65536
    )
    assert "leave out the modules" in render_comment(rich_report(), MARKER, 65536)


def test_report_model__runtime_flag_needs_five_samples_and_a_real_excess():
    rows = {row.name: row for row in rich_report(baseline_runs=3).layers}
    assert rows["api"].runtime_status == "too few samples"
    comment = render_comment(rich_report(baseline_runs=3), MARKER, 65536)
    assert "above p95" not in comment
    assert "10.0s median (3 runs; a p95 needs 5)" in comment


def test_render_comment__runtime_says_what_it_measures():
    comment = render_comment(rich_report(), MARKER, 65536)
    assert "| 14.0s |" in comment  # tox's wall time of the layer
    report = rich_report(head_timing={})
    comment = render_comment(report, MARKER, 65536)
    assert "| 3.1s Σ |" in comment  # sum of the test durations
    assert "Σ: sum of the layer's test durations" in comment


def test_render_comment__xfail_and_xpass_apart_from_skipped():
    comment = render_comment(rich_report(), MARKER, 65536)
    assert "| Layer | Passed | Failed | Skipped | xfail / xpass |" in comment


def test_foreign_filter__several_layer_groups_each_get_their_ranges():
    from ci_metrics.render.markdown import foreign

    assert foreign({1: ["api"], 2: ["api"], 9: ["auth", "e2e"]}) == (
        "3 lines in 2 ranges: 1-2 (api); 9 (auth+e2e)"
    )


def test_build_report__no_statements_and_no_branch_data_fail_their_gates(make_snapshot, settings):
    from dataclasses import replace as dc_replace

    from ci_metrics.settings import Thresholds
    from support.snapshots import file_entry

    settings = msgspec.structs.replace(settings, thresholds=Thresholds(80, 80, False, {}))
    for files, problem in (
        ({"apps/api/a.py": file_entry([])}, "no statements measured"),
        ({"apps/api/a.py": file_entry([1], layers={"api": [1]})}, "no branch data"),
    ):
        snapshot = dc_replace(make_snapshot(files=files), branch_data=False)
        report = report_of(snapshot, settings, diff_skipped=True)
        assert not report.passed
        assert any(problem in gate.describe() for gate in report.gates)
