"""The quarantine register: its table, its check, its pytest plugin, the nightly's proposals."""

from __future__ import annotations

import textwrap
from datetime import date

import pytest

from ci_metrics.cli import run
from ci_metrics.errors import RegisterError
from ci_metrics.inputs.quarantine import TAG, QuarantineEntry, load_quarantine, read_quarantine
from ci_metrics.inputs.test_ids import missing_test
from ci_metrics.model.baseline import empty_baseline, merge_snapshot
from ci_metrics.model.proposals import propose
from support.project import write
from support.pytest_runs import run_suite

HEADER = "| Test | Owner | Issue | Reason | Review date |\n|---|---|---|---|---|\n"
MODULE = """\
import pytest


def test_plain():
    pass


async def test_async():
    pass


class Base:
    def test_inherited(self):
        pass


class TestThing(Base):
    def test_method(self):
        pass

    class TestInner:
        def test_deep(self):
            pass


class TestImported(pytest.Class):  # a base from elsewhere: not followed
    def test_own(self):
        pass


@pytest.mark.parametrize("n", [1, 2])
def test_param(n):
    pass
"""


def entry(test, line=3, review=date(2099, 1, 1)):
    return QuarantineEntry(test, "@o", "#1", "r", review, line)


def test_read_quarantine__entries_with_their_lines_and_none_yet():
    text = (
        "# Register\n\n"
        + HEADER
        + "| `tests/x.py::test_a` | @team | #12 | races | 2026-06-01 |\n"
        + "| tests/x.py::TestB::test_c[1] | @team | [bug](https://x.org/1) | io | 2026-06-02 |\n"
    )
    entries, problems = read_quarantine(text, "q.md")
    assert problems == []
    assert [(e.test, e.line, e.review_date) for e in entries] == [
        ("tests/x.py::test_a", 5, date(2026, 6, 1)),
        ("tests/x.py::TestB::test_c[1]", 6, date(2026, 6, 2)),
    ]
    assert (entries[1].file, entries[1].names) == ("tests/x.py", ("TestB", "test_c"))
    assert read_quarantine(HEADER + "| None yet | — | — | — | — |\n", "q.md") == ([], [])


def test_read_quarantine__one_line_per_malformed_entry_naming_file_line_and_test():
    text = HEADER + (
        "| tests/x.py | @o | #1 | r | 2026-01-01 |\n"
        "| tests/x.py::test_a | @o | see the tracker | r | 2026-01-01 |\n"
        "| tests/x.py::test_b | @o | #2 | r | next week |\n"
        "| tests/x.py::test_c | | #3 | r | 2026-01-01 |\n"
        "| tests/x.py::test_d | @o | owner/repo#4 | r | 2026-01-01 |\n"
    )
    entries, problems = read_quarantine(text, "docs/q.md")
    assert [e.test for e in entries] == ["tests/x.py::test_d"]
    assert problems == [
        "docs/q.md:3: tests/x.py: is not a test id "
        "(path/to/test_file.py::test_name, ::Class, ::Class::test)",
        "docs/q.md:4: tests/x.py::test_a: issue is not a link "
        "(a URL, [text](URL), #123 or owner/repo#123)",
        "docs/q.md:5: tests/x.py::test_b: review date 'next week' is not YYYY-MM-DD",
        "docs/q.md:6: tests/x.py::test_c: every column needs a value",
    ]


def test_load_quarantine__missing_file_is_empty_and_malformed_raises_on_one_line(tmp_path):
    assert load_quarantine(tmp_path / "none.md") == []
    path = tmp_path / "q.md"
    path.write_text(HEADER + "| t.py::a | @o | x | r | soon |\n", encoding="utf-8")
    with pytest.raises(RegisterError) as info:
        load_quarantine(path)
    assert "\n" not in str(info.value)
    assert str(info.value).startswith(f"{path}:3: t.py::a: issue is not a link")
    path.write_text("| Test | Why |\n|---|---|\n", encoding="utf-8")
    with pytest.raises(RegisterError, match=r"q.md:1: header must be"):
        load_quarantine(path)


@pytest.mark.parametrize(
    ("test", "nodeid", "matches"),
    [
        ("t.py::test_a", "t.py::test_a", True),
        ("t.py::test_a", "t.py::test_a[1]", True),
        ("t.py::test_a", "t.py::test_ab", False),
        ("t.py::test_a[1]", "t.py::test_a[1]", True),
        ("t.py::test_a[1]", "t.py::test_a[2]", False),
        ("t.py::TestB", "t.py::TestB::test_c", True),
        ("t.py::TestB", "t.py::TestBe::test_c", False),
    ],
)
def test_entry__matches_the_test_its_parametrizations_and_a_class_tests(test, nodeid, matches):
    assert entry(test).matches(nodeid) is matches


@pytest.mark.parametrize(
    ("names", "problem"),
    [
        (("test_plain",), None),
        (("test_async",), None),
        (("TestThing",), None),
        (("TestThing", "test_method"), None),
        (("TestThing", "test_inherited"), None),
        (("TestThing", "TestInner", "test_deep"), None),
        (("test_param",), None),
        (("test_gone",), "tests/test_m.py defines no test_gone"),
        (("TestThing", "test_gone"), "class TestThing in tests/test_m.py defines no test_gone"),
        (("test_plain", "test_x"), "test_plain in tests/test_m.py is not a class"),
        (("TestImported", "test_own"), None),
        (("TestImported", "test_x"), "class TestImported in tests/test_m.py defines no test_x"),
    ],
)
def test_missing_test__finds_functions_classes_and_methods_statically(tmp_path, names, problem):
    write(tmp_path, "tests/test_m.py", MODULE)
    assert missing_test(tmp_path, "tests/test_m.py", names) == problem


def test_missing_test__a_missing_or_broken_file_says_so(tmp_path):
    assert missing_test(tmp_path, "tests/none.py", ("t",)) == "tests/none.py does not exist"
    (tmp_path / "tests/folder.py").mkdir(parents=True)
    assert missing_test(tmp_path, "tests/folder.py", ("t",)) == "tests/folder.py cannot be read"
    write(tmp_path, "tests/bad.py", "def test_(:\n")
    assert missing_test(tmp_path, "tests/bad.py", ("t",)) == "tests/bad.py does not parse (line 1)"


@pytest.fixture
def registered(tmp_path):
    """A project with a test module and a register naming it."""
    write(tmp_path, "tests/test_m.py", MODULE)
    write(tmp_path, "pyproject.toml", '[tool.ci_metrics]\nquarantine = { register = "q.md" }\n')
    return tmp_path


def check(ctx, root, *args):
    code = run(["quarantine", "--check", "--root", str(root), *args], ctx)
    return code, ctx.stdout.getvalue(), ctx.stderr.getvalue()


def test_quarantine_check__a_sound_register_passes(registered, make_context):
    write(
        registered,
        "q.md",
        HEADER + "| tests/test_m.py::test_param[2] | @o | #1 | r | 2099-01-01 |\n",
    )
    code, out, _err = check(make_context(), registered)
    assert (code, out) == (
        0,
        f"{registered}/q.md: 1 quarantined test(s), each found and within its review date\n",
    )


def test_quarantine_check__past_review_date_exits_1_naming_the_entry(registered, make_context):
    write(
        registered, "q.md", HEADER + "| tests/test_m.py::test_plain | @o | #1 | r | 2026-01-01 |\n"
    )
    code, out, _err = check(make_context(), registered, "--today", "2026-03-01")
    assert code == 1
    assert out == (
        f"{registered}/q.md:3: tests/test_m.py::test_plain: review date 2026-01-01 has passed "
        "(take it out, or review it and set a new date)\n"
    )


def test_quarantine_check__every_problem_on_its_own_line_and_exit_2(registered, make_context):
    write(
        registered,
        "q.md",
        HEADER
        + "| tests/test_m.py::test_gone | @o | #1 | r | 2099-01-01 |\n"
        + "| tests/test_m.py::test_plain | @o | #1 | r | someday |\n"
        + "| tests/test_m.py::TestThing | @o | #1 | r | 2000-01-01 |\n",
    )
    code, out, _err = check(make_context(), registered)
    assert code == 2
    assert out.splitlines() == [
        f"{registered}/q.md:4: tests/test_m.py::test_plain: review date 'someday' is not "
        "YYYY-MM-DD",
        f"{registered}/q.md:3: tests/test_m.py::test_gone: no such test: tests/test_m.py "
        "defines no test_gone",
        f"{registered}/q.md:5: tests/test_m.py::TestThing: review date 2000-01-01 has passed "
        "(take it out, or review it and set a new date)",
    ]


def test_quarantine_check__a_missing_register_is_bad_input(registered, make_context):
    code, _out, err = check(make_context(), registered)
    assert code == 2
    assert err.strip() == f"error: quarantine register not found: {registered}/q.md"
    (registered / "q.md").mkdir()
    code, _out, err = check(make_context(), registered)
    assert code == 2
    assert err.strip().startswith(f"error: cannot read {registered}/q.md: ")
    with pytest.raises(RegisterError, match=r"^cannot read .*q.md: "):
        load_quarantine(registered / "q.md")


@pytest.fixture
def plugin_run(pytester):
    """A project whose register quarantines one failing and one passing test."""
    pytester.makeini(
        "[pytest]\naddopts = --disable-plugin-autoload -p ci_metrics.pytest_plugin "
        "-p no:cacheprovider -rxX\nxfail_strict = true\n"
    )
    pytester.makefile(".toml", pyproject='[tool.ci_metrics]\nquarantine = { register = "q.md" }\n')
    pytester.makefile(
        ".md",
        q=HEADER + "| test_q.py::test_broken | @o | #1 | races | 2099-01-01 |\n"
        "| test_q.py::TestFixed | @o | #2 | was slow | 2099-01-01 |\n",
    )
    pytester.makepyfile(
        test_q=textwrap.dedent(
            """
            import pytest

            def test_broken(request):
                request.node.stash  # the test still runs
                assert False, "still broken"

            class TestFixed:
                def test_ok(self):
                    pass

            @pytest.mark.xfail(reason="known bug", strict=True)
            def test_ordinary_xfail():
                assert False

            def test_plain(record_property):
                pass
            """
        )
    )
    return pytester


def test_plugin__a_quarantined_failure_fails_no_run_and_its_reports_are_tagged(plugin_run):
    reports = []

    class Collect:
        def pytest_runtest_logreport(self, report):
            if report.when == "call":
                reports.append(report)

    result = plugin_run.runpytest_inprocess(plugins=[Collect()])
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(passed=1, xfailed=2, xpassed=1)
    result.stdout.fnmatch_lines(["XFAIL test_q.py::test_broken - quarantined (q.md:3): races"])
    tags = {r.nodeid: dict(r.user_properties).get(TAG) for r in reports}
    assert tags == {
        "test_q.py::test_broken": "q.md:3",
        "test_q.py::TestFixed::test_ok": "q.md:4",
        "test_q.py::test_ordinary_xfail": None,
        "test_q.py::test_plain": None,
    }


@pytest.mark.parametrize(
    ("name", "text", "error"),
    [
        pytest.param(
            "q.md",
            HEADER + "| test_q.py::test_broken | @o | #1 | r | soon |\n",
            "q.md:3: test_q.py::test_broken: review date 'soon' is not YYYY-MM-DD",
            id="a-malformed-register",
        ),
        pytest.param(
            "pyproject.toml",
            "[tool.ci_metrics]\nquarantine = { register = 3 }\n",
            "[tool.ci_metrics] quarantine.register: must be the register's path",
            id="a-register-setting-that-is-no-path",
        ),
    ],
)
def test_plugin__a_bad_register_or_setting_stops_the_run_with_one_line(
    plugin_run, name, text, error
):
    (plugin_run.path / name).write_text(text)
    result = plugin_run.runpytest_inprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: quarantine register: {error}"])


@pytest.mark.parametrize(
    ("pyproject", "outcomes"),
    [
        ("", {"failed": 1, "passed": 2, "xfailed": 1}),  # the default, docs/quarantine.md: none
        (
            '[tool.ci_metrics]\nquarantine = { register = "none.md" }\n',
            {"failed": 1, "passed": 2, "xfailed": 1},
        ),
    ],
)
def test_plugin__without_a_register_nothing_is_quarantined(plugin_run, pyproject, outcomes):
    (plugin_run.path / "pyproject.toml").write_text(pyproject)
    plugin_run.makeini(
        "[pytest]\naddopts = --disable-plugin-autoload -p ci_metrics.pytest_plugin\n"
    )
    result = plugin_run.runpytest_inprocess()
    result.assert_outcomes(**outcomes)


def test_layer_job__quarantined_and_flaky_tests_leave_it_green(suite_runs, tmp_path):
    """What a layer's job runs, on the suite without its real failures: exit 0."""
    assert suite_runs["long"].exit_code == 1  # the real failures fail it
    quiet = run_suite(suite_runs["long"].root, "quiet", "-k", "racy or fixed_since or flaky")
    assert quiet.exit_code == 0, quiet.output


def _history(outcomes_per_run):
    """A baseline whose runs had these ``{nodeid: (outcome, reruns)}``."""
    from ci_metrics.model.outcomes import TestResult
    from ci_metrics.settings import Settings
    from support.snapshots import make_snapshot

    settings = Settings(layers={"api": ()}, baseline_window=30)
    baseline = empty_baseline(30)
    for index, outcomes in enumerate(outcomes_per_run):
        snapshot = make_snapshot(sha=f"{index:040}", run_id=str(index))
        tests = {n: TestResult(o, 0.1, r) for n, (o, r) in outcomes.items()}
        from dataclasses import replace

        baseline = merge_snapshot(baseline, replace(snapshot, tests={"api": tests}), settings)
    return baseline


def test_propose__adds_tests_that_flaked_k_times_and_removes_quiet_quarantined_ones():
    flaky, stable, racy, fixed = (
        "t.py::test_flaky",
        "t.py::test_ok",
        "t.py::test_racy",
        "t.py::test_fixed",
    )
    runs = [
        {flaky: ("passed", 1 if i % 3 == 0 else 0), stable: ("passed", 0),
         racy: ("quarantined" if i == 9 else "passed", 0), fixed: ("passed", 0)}
        for i in range(10)
    ]  # fmt: skip
    baseline = _history(runs)
    entries = [entry(racy), entry(fixed), entry("t.py::test_never_ran")]
    proposals = propose(baseline, entries, add_after=3, remove_after=10)
    assert [(p.nodeid, p.flakes, p.runs) for p in proposals.add] == [(flaky, 4, 10)]
    assert [e.test for e in proposals.remove] == [fixed]
    # Too few runs on record: no evidence to take it out yet.
    assert propose(baseline, [entry(fixed)], add_after=3, remove_after=11).remove == []
    # Already quarantined: not proposed again.
    assert propose(baseline, [entry(flaky)], add_after=3, remove_after=10).add == []


def test_render_nightly__an_empty_window_says_there_is_no_trend_yet():
    from ci_metrics.model.proposals import Proposals
    from ci_metrics.render.nightly import render_nightly

    text = render_nightly(
        empty_baseline(30), ["api"], Proposals(), register="q.md", add_after=3, remove_after=10
    )
    assert text.startswith("## Nightly baseline\n\n### Trends\n\n_Fewer than two runs: no trend")
    assert text.count("None.") == 2


def test_baseline_merge__the_step_summary_shows_trends_and_proposals(
    project, make_context, tmp_path
):
    from support.project import write_json

    write(
        project,
        "pyproject.toml",
        '[tool.ci_metrics]\nlayers = { api = ["apps/api"] }\n'
        'quarantine = { register = "q.md", add_after_flakes = 1, remove_after_runs = 2 }\n',
    )
    write(project, "q.md", HEADER + "| tests/t.py::test_fixed | @o | #1 | r | 2099-01-01 |\n")
    summary = tmp_path / "summary.md"
    ctx_env = {"GITHUB_STEP_SUMMARY": str(summary)}
    from support.snapshots import make_snapshot

    for index in range(2):
        snapshot = make_snapshot(
            sha=f"{index}" * 40,
            created_at=f"2026-03-0{index + 1}T03:23:00+00:00",
            tests={"api": {"tests/t.py::test_fixed": ("passed", 0.1, 0),
                           "tests/t.py::test_flaky": ("passed", 0.2, 1)}},
        )  # fmt: skip
        write_json(tmp_path / "snapshot.json", snapshot.to_json())
        ctx = make_context(ctx_env)
        argv = ["baseline", "--root", str(project), "--snapshot", str(tmp_path / "snapshot.json")]
        argv += ["--baseline", str(tmp_path / "baseline.json")]
        code = run([*argv, "--durations", str(tmp_path / "durations.json")], ctx)
        assert code == 0, ctx.stderr.getvalue()
    text = summary.read_text(encoding="utf-8").split("## Nightly baseline")[-1]
    assert "2 runs in the window" in text
    assert '    title "Flaky tests"' in text
    assert "| 03-02 | `1111111` | 1 |" in text
    assert "| `tests/t.py::test_flaky` | api | 2 of 2 |" in text
    assert "| `tests/t.py::test_fixed` | `q.md:3` | @o |" in text
