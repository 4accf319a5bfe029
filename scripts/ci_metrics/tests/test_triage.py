"""Judging a run's tests and figures against the nightly history, without alarms from noise."""

from __future__ import annotations

import msgspec
import pytest

from ci_metrics.model.baseline import TestHistory, empty_baseline, merge_snapshot
from ci_metrics.model.failures import Failure
from ci_metrics.model.gates import Base, no_drop_gate
from ci_metrics.model.history import Kind, judge
from ci_metrics.model.noise import CONSECUTIVE, SAME_COMMIT, Noise, coverage_noise
from ci_metrics.model.report import PullRequest
from ci_metrics.model.trend import TrendPoint
from ci_metrics.render.annotations import failure_annotations
from ci_metrics.render.charts import line_chart, trend_charts
from ci_metrics.render.comment import render_comment
from ci_metrics.settings import Settings, Thresholds
from support.report_samples import report_of
from support.snapshots import file_entry

MARKER = "<!-- ci-metrics:sticky -->"


def history(outcomes, durations=()):
    return TestHistory("api", list(durations), outcomes)


@pytest.mark.parametrize(
    ("outcomes", "kind", "text"),
    [
        ("P" * 30, Kind.NEW_WITH_CHANGE, "passed in 30 of 30 nightly runs: new with this change"),
        ("PPS", Kind.NEW_WITH_CHANGE,
         "passed in 2 of 3 nightly runs (not run in 1): new with this change"),
        ("SS", Kind.NEW_WITH_CHANGE, "skipped in all 2 nightly runs: runs with this change"),
        ("P" * 26 + "RRRR", Kind.PROBABLY_FLAKY, "flaked in 4 of 30 nightly runs: probably flaky"),
        ("P" * 18 + "F" * 12, Kind.FAILING_ON_MAIN,
         "failed in 12 of 30 nightly runs: failing on main too"),
        ("PFRQ", Kind.FAILING_ON_MAIN,
         "failed in 2 of 4 nightly runs, flaked in 1: failing on main too"),
        ("P", Kind.NEW_WITH_CHANGE, "passed in 1 of 1 nightly run: new with this change"),
    ],
)  # fmt: skip
def test_judge__a_failure_by_its_own_nightly_history(outcomes, kind, text):
    verdict = judge(history(outcomes), has_baseline=True)
    assert (verdict.kind, str(verdict)) == (kind, text)
    assert verdict.known


def test_judge__a_test_no_night_knows_and_no_baseline_at_all():
    assert str(judge(None, has_baseline=True)) == "new test: in no nightly run"
    assert not judge(None, has_baseline=True).known
    assert str(judge(None, has_baseline=False)) == "no nightly baseline yet: history unknown"


@pytest.mark.parametrize(
    ("samples", "noise"),
    [
        # Two nights of one commit moved 0.04: that is the noise, whatever else moved.
        ([("a", 81.42), ("a", 81.38), ("b", 83.0), ("c", 81.0)], Noise(0.04, 2, SAME_COMMIT)),
        ([("a", 80.0), ("a", 80.1), ("b", 81.0), ("b", 80.7)], Noise(0.3, 4, SAME_COMMIT)),
        ([("a", 80.0), ("b", 80.1), ("c", 80.3), ("d", 85.0)], Noise(0.2, 4, CONSECUTIVE)),
        ([("a", 80.0), ("b", None)], Noise(None, 1)),
        # A run without its commit counts, but in no group of one commit.
        ([("", 80.0), ("", 80.4), ("c", 80.1)], Noise(0.35, 3, CONSECUTIVE)),
        ([], Noise(None, 0)),
    ],
)
def test_coverage_noise__same_commit_first_else_consecutive_else_none(samples, noise):
    found = coverage_noise(samples)
    assert (found.points and round(found.points, 4), found.runs, found.basis) == (
        noise.points,
        noise.runs,
        noise.basis,
    )


def test_noise__within_allows_the_rounding_of_two_decimals():
    noise = Noise(0.04, 2, SAME_COMMIT)
    assert noise.within(-0.04)
    assert noise.within(0.045)
    assert not noise.within(-0.06)
    assert not Noise(None, 1).within(0.0)
    assert noise.describe() == "±0.04 (runs of the same commit, 2 runs)"
    assert Noise(None, 1).describe() == "no estimate (1 run)"


BASE = Base("nightly run 9 (`aaaaaaaaaa`)", 81.42)


@pytest.mark.parametrize(
    ("lines", "base", "noise", "passed", "described"),
    [
        (81.38, BASE, Noise(0.04, 3, SAME_COMMIT), True,
         "project line coverage vs base 81.38% >= 81.38% (base 81.42% at nightly run 9 "
         "(`aaaaaaaaaa`), tolerance 0.04 points: the noise of 3 runs (runs of the same commit))"),
        (81.30, BASE, Noise(0.04, 3, SAME_COMMIT), False,
         "project line coverage vs base 81.30% < 81.38% (base 81.42% at nightly run 9 "
         "(`aaaaaaaaaa`), tolerance 0.04 points: the noise of 3 runs (runs of the same commit))"),
        (70.0, None, Noise(None, 0), True,
         "project line coverage vs base: nothing to measure (no base to compare with: no "
         "baseline yet)"),
        (70.0, BASE, Noise(None, 1), True,
         "project line coverage vs base: nothing to measure (the baseline's noise is unknown "
         "(1 run with a figure, 2 needed): a drop from 81.42% at nightly run 9 (`aaaaaaaaaa`) "
         "cannot be told from it yet)"),
        (70.0, Base("nightly run 9", None), Noise(0.1, 3, SAME_COMMIT), False,
         "project line coverage vs base: the base (nightly run 9) has no line coverage"),
        (None, BASE, Noise(0.1, 3, SAME_COMMIT), False,
         "project line coverage vs base: no statements measured"),
    ],
)  # fmt: skip
def test_no_drop_gate__base_less_its_noise_and_says_which(lines, base, noise, passed, described):
    gate = no_drop_gate(lines, base, noise)
    assert (gate.passed, gate.describe()) == (passed, described)


SETTINGS = Settings(
    layers={"api": ("apps/api",), "integration": ("apps",)},
    thresholds=Thresholds(project_lines=50, project_branches=False, diff=False),
)
SLOW_TESTS = {f"tests/api/test_s.py::test_{i}": ("passed", 0.5, 0) for i in range(10)}


def _snapshot(make_snapshot, integration_lines, tests, sha, run_id, timing=10.0):
    covered = list(range(1, integration_lines + 1))
    missing = range(integration_lines + 1, 10001)
    layers = {"api": covered, "integration": covered}
    files = {"apps/api/views.py": file_entry(range(1, 10001), missing=missing, layers=layers)}
    return make_snapshot(files=files, tests=tests, timing={"api": (1.0, timing)}, sha=sha,
                         run_id=run_id)  # fmt: skip


def _nightlies(make_snapshot, runs):
    baseline = empty_baseline(30)
    for index, (lines, sha) in enumerate(runs):
        snapshot = _snapshot(make_snapshot, lines, {"api": SLOW_TESTS}, sha, str(index))
        baseline = merge_snapshot(baseline, snapshot, SETTINGS)
    return baseline


def _report(make_snapshot, baseline, lines=8142, tests=None, settings=SETTINGS):
    slower = dict.fromkeys(SLOW_TESTS, ("passed", 1.5, 0))  # a busy machine: all 3x slower
    head = _snapshot(make_snapshot, lines, {"api": tests or slower}, "f" * 40, "99", timing=12.0)
    return report_of(head, settings, baseline=baseline, diff_skipped=True)


def test_busy_run_after_one_nightly__no_slowdowns_no_red_coverage(make_snapshot):
    """A pull request right after the first nightly, on a busy machine: every test slower
    and coverage 81.42% -> 81.38%. One run is no evidence of either."""
    report = _report(make_snapshot, _nightlies(make_snapshot, [(8142, "a" * 40)]), lines=8138)
    assert report.tests.slow == []
    comment = render_comment(report, MARKER, 65536)
    assert "### Slowest regressions" not in comment
    assert "🔻 -" not in comment  # no arrow on any figure
    assert "| Project lines | 81.38% | -0.04 (noise unknown) |" in comment
    assert "| 81.38% | -0.04 (noise unknown) |" in comment  # integration's own
    assert "project lines no estimate (1 run)" in comment
    assert report.passed  # the drop gate waits for a noise estimate
    assert "10.0s median (1 run; a p95 needs 5)" in comment


def test_coverage_within_the_noise_of_same_commit_runs_is_neutral(make_snapshot):
    nights = [(8142, "a" * 40), (8138, "a" * 40), (8140, "b" * 40)]
    report = _report(make_snapshot, _nightlies(make_snapshot, nights), lines=8137)
    comment = render_comment(report, MARKER, 65536)
    assert "| Project lines | 81.37% | -0.03 (noise) |" in comment
    assert "project lines ±0.04 (runs of the same commit, 2 runs)" in comment
    assert "Must not drop: ✅ project line coverage vs base 81.37% >= 81.36%" in comment
    dropped = _report(make_snapshot, _nightlies(make_snapshot, nights), lines=8130)
    assert "| Project lines | 81.30% | 🔻 -0.10 |" in render_comment(dropped, MARKER, 65536)
    assert not dropped.passed
    off = msgspec.structs.replace(
        SETTINGS, thresholds=msgspec.structs.replace(SETTINGS.thresholds, project_no_drop=False)
    )
    assert _report(
        make_snapshot, _nightlies(make_snapshot, nights), lines=8130, settings=off
    ).passed


def test_slowdown__needs_five_nightly_durations_beyond_p95_and_timer_noise(make_snapshot):
    four = _nightlies(make_snapshot, [(8142, f"{i}" * 40) for i in range(4)])
    assert _report(make_snapshot, four).tests.slow == []
    five = _nightlies(make_snapshot, [(8142, f"{i}" * 40) for i in range(5)])
    slow = _report(make_snapshot, five).tests.slow
    assert len(slow) == 10
    assert slow[0].detail == "1.50s vs median 0.50s, p95 0.50s (5 nightly runs)"
    within = dict.fromkeys(SLOW_TESTS, ("passed", 0.59, 0))  # beyond p95, within the 0.1 s floor
    assert _report(make_snapshot, five, tests=within).tests.slow == []


def test_flaky_gate__a_new_test_that_flakes_fails_it_a_known_one_does_not(make_snapshot):
    nights = _nightlies(make_snapshot, [(8142, f"{i}" * 40) for i in range(2)])
    known = dict(SLOW_TESTS) | {"tests/api/test_s.py::test_0": ("passed", 0.5, 1)}
    report = _report(make_snapshot, nights, tests=known)
    assert [t.nodeid for t in report.tests.flaky] == ["tests/api/test_s.py::test_0"]
    assert report.passed
    assert "new flaky tests: none" in [g.describe() for g in report.gates]
    new = known | {"tests/api/test_s.py::test_new": ("passed", 0.5, 1)}
    report = _report(make_snapshot, nights, tests=new)
    gate = next(g for g in report.gates if g.name == "new flaky tests")
    assert gate.describe() == (
        "new flaky tests: 1 (tests/api/test_s.py::test_new): in no nightly run: a test this "
        "pull request brings must not flake (fix it, or quarantine it with an owner)"
    )
    comment = render_comment(report, MARKER, 65536)
    assert (
        "- 🔁 `tests/api/test_s.py::test_new` (api): **new test: in no nightly run**; a test new "
        "in this pull request: fails the new flaky tests gate"
    ) in comment
    no_baseline = _report(make_snapshot, None, tests=known)
    assert not no_baseline.passed
    assert "no nightly baseline yet" in next(
        g.describe() for g in no_baseline.gates if g.name == "new flaky tests"
    )


def test_actionable__what_asks_for_action_and_what_does_not(make_snapshot):
    nights = _nightlies(make_snapshot, [(8142, "a" * 40), (8142, "a" * 40)])
    calm = dict.fromkeys(SLOW_TESTS, ("passed", 0.5, 0))
    assert _report(make_snapshot, nights, tests=calm).actionable() == []
    quarantined = calm | {"tests/api/test_s.py::test_q": ("quarantined", 0.1, 0)}
    assert _report(make_snapshot, nights, tests=quarantined).actionable() == []
    failed = calm | {"tests/api/test_s.py::test_1": ("failed", 0.5, 0)}
    assert _report(make_snapshot, nights, tests=failed).actionable() == ["1 failed test"]
    removed = {n: r for n, r in calm.items() if not n.endswith("_9")}
    assert _report(make_snapshot, nights, tests=removed).actionable() == ["1 removed test"]


def test_annotations__each_failure_on_its_line_or_on_the_run(make_snapshot):
    nights = _nightlies(make_snapshot, [(8142, "a" * 40)])
    located = Failure("ValueError", "bad, 100%", "tests/api/test_s.py", 7)
    tests = dict(SLOW_TESTS) | {
        "tests/api/test_s.py::test_1": ("failed", 0.5, 0, located),
        "tests/api/test_s.py::test_new": ("failed", 0.5, 0, Failure(missing="x: no longrepr")),
    }
    assert failure_annotations(_report(make_snapshot, nights, tests=tests)) == [
        "::error file=tests/api/test_s.py,line=7,title=tests/api/test_s.py%3A%3Atest_1 failed"
        "::ValueError: bad, 100%25 (passed in 1 of 1 nightly run: new with this change)",
        "::error title=tests/api/test_s.py%3A%3Atest_new failed::cause not recorded "
        "(new test: in no nightly run)",
    ]


def test_line_chart__leaves_out_runs_without_the_figure_and_quotes_labels():
    points = [TrendPoint("03-01", "a", 80.0), TrendPoint('03-02 "b"', "b", None),
              TrendPoint("head", "c", 81.25)]  # fmt: skip
    assert line_chart("Project line coverage", "%", points, lambda p: p.lines) == "\n".join(
        [
            "```mermaid",
            "xychart-beta",
            '    title "Project line coverage"',
            '    x-axis ["03-01", "head"]',
            '    y-axis "%" 79.88 --> 81.38',
            "    line [80, 81.25]",
            "```",
        ]
    )
    assert line_chart("t", "%", points[:2], lambda p: p.lines) == ""
    table = trend_charts(points, ["api"])
    assert '| 03-02 "b" | `b` | — |' in table
    assert trend_charts(points[:1], ["api"]) == ""


def test_trend__this_run_is_named_by_the_head_the_status_line_names(make_snapshot):
    """A pull request's run measures its merge commit; the comment names the head."""
    nights = _nightlies(make_snapshot, [(8142, "a" * 40)])
    head = _snapshot(make_snapshot, 8142, {"api": dict(SLOW_TESTS)}, "e" * 40, "99", timing=12.0)
    report = report_of(head, SETTINGS, baseline=nights, diff_skipped=True,
                       pr=PullRequest(head_sha="f" * 40, number=3, repository="o/r"))  # fmt: skip
    assert [(p.label, p.sha) for p in report.trend_points] == [
        ("03-01", "a" * 40),
        ("head", "f" * 40),
    ]
    assert "| head | `fffffff` |" in render_comment(report, MARKER, 65536)


def test_failed_tests__most_telling_first_with_cause_link_and_versions(make_snapshot):
    nights = _nightlies(make_snapshot, [(8142, "a" * 40)])
    tests = dict(SLOW_TESTS) | {
        "tests/api/test_s.py::test_new": ("failed", 0.5, 0),
        "tests/api/test_s.py::test_1": ("failed", 0.5, 0, Failure("KeyError", "'k'", "a.py", 3)),
        "tests/api/test_s.py::test_2": ("failed", 0.5, 0),
    }
    report = _report(make_snapshot, nights, tests=tests)
    report.pr = PullRequest(head_sha="f" * 40, number=3, repository="o/r")
    assert [t.nodeid.rsplit("::", 1)[1] for t in report.tests.failed] == [
        "test_1",
        "test_2",
        "test_new",
    ]
    comment = render_comment(report, MARKER, 65536)
    assert (
        "- ❌ `tests/api/test_s.py::test_1` (api): passed in 1 of 1 nightly run: **new with this "
        "change**<br>`KeyError: 'k'` at [a.py:3](https://github.com/o/r/blob/"
        + "f" * 40
        + "/a.py#L3)"
    ) in comment
    assert "- ❌ `tests/api/test_s.py::test_2` (api): passed in 1 of 1 nightly run: **new with " \
        "this change**<br>_cause not recorded_" in comment  # fmt: skip


def test_comment__hundreds_of_failures_with_long_messages_fit_the_limit(make_snapshot, tmp_path):
    """Causes as pytest writes them (long messages, capped on reading), 600 failures."""
    from ci_metrics.inputs.failures import from_longrepr
    from ci_metrics.render.size import comment_size

    longrepr = {"reprcrash": {"path": "x.py", "lineno": 1, "message": "ValueError: " + "é" * 5000},
                "reprtraceback": {"reprentries": []}}  # fmt: skip
    cause = from_longrepr(longrepr, "call", lambda p: p, "log:1")
    assert (len(cause.message), len(cause.detail)) == (200, 1000)  # capped as they are read
    tests = {
        f"tests/api/test_{'x' * 150}_{i}.py::test_case_{i}": ("failed", 0.1, 0, cause)
        for i in range(600)
    }
    nights = _nightlies(make_snapshot, [(8142, f"{i}" * 40) for i in range(5)])
    report = _report(make_snapshot, nights, tests=tests)
    comment = render_comment(report, MARKER, 65536)
    assert comment_size(comment) <= 65536
    assert comment.count("- ❌ ") == 20
    assert "…and 580 more failed tests (see the job summary)" in comment
    assert "_Shortened to fit" not in comment  # the cap alone keeps it within the limit
    print(f"600 failures, 5000-character messages: {comment_size(comment)} units")
