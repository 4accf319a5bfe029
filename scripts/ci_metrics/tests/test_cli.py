"""The command line, verb by verb, on a real sample project (git + coverage data)."""

from __future__ import annotations

import hashlib
import json

import pytest

from ci_metrics.cli import build_parser, main, run
from ci_metrics.errors import InputError
from support.context import NOW
from support.project import write, write_json

# The flaky test below has no nightly history, so the new flaky tests gate would fail
# every gate here: these tests leave it out (test_triage.py and test_scenario.py test it).
PYPROJECT = """\
[tool.ci_metrics]
thresholds = { project_lines = 60, project_branches = 50, diff = 75, layers = { api = 50 }, \
new_flaky_tests = false }
baseline_window = 5
exception_register = "docs/exceptions.md"
layers.api = ["apps/api"]
layers.auth = ["apps/auth_service"]
layers.integration = { owns = [], optional = true }
"""
#: Every verb, in the order ``ci-metrics --help`` lists them.
VERBS_IN_ORDER = [
    "init",
    "plan",
    "collect",
    "baseline",
    "report",
    "gate",
    "post",
    "find-artifact",
    "exceptions",
    "quarantine",
]
REGISTER = """\
| Module | Rationale | Owner | Review date | Remediation plan |
|---|---|---|---|---|
| apps/auth_service/tokens.py | legacy | @auth | {date} | rewrite |
"""


def _log(entries):
    return "".join(
        json.dumps(
            {"$report_type": "TestReport", "nodeid": n, "when": "call", "outcome": o, "duration": d}
        )
        + "\n"
        for n, o, d in entries
    )


@pytest.fixture
def workspace(project):
    """The sample project with settings, a register and per-layer results."""
    write(project, "pyproject.toml", PYPROJECT)
    write(project, "docs/exceptions.md", REGISTER.format(date="2026-12-31"))
    write(
        project,
        "results/api/report-log.jsonl",
        _log(
            [
                ("tests/api/test_v.py::test_pos", "passed", 0.2),
                ("tests/api/test_v.py::test_flaky", "rerun", 0.1),
                ("tests/api/test_v.py::test_flaky", "passed", 0.1),
                ("tests/api/test_v.py::test_slow", "passed", 4.0),
            ]
        ),
    )
    write(
        project,
        "results/auth/junit.xml",
        '<testsuites><testsuite><testcase classname="tests.auth" name="test_issue" time="0.3"/>'
        '<testcase classname="tests.auth" name="test_skip" time="0"><skipped/></testcase>'
        "</testsuite></testsuites>",
    )
    write_json(
        project / "results/api/tox-result.json",
        {"testenvs": {"api": {"setup": [{"elapsed": 2.0}], "test": [{"elapsed": 5.0}]}}},
    )
    return project


def cli(ctx, root, *args):
    code = run([args[0], "--root", str(root), *args[1:]], ctx)
    return code, ctx.stdout.getvalue(), ctx.stderr.getvalue()


def _collect(ctx, root, *extra):
    return cli(
        ctx,
        root,
        "collect",
        "--coverage-file",
        str(root / "results/coverage/.coverage"),
        "--results-dir",
        str(root / "results"),
        "--output",
        str(root / "out/snapshot.json"),
        "--sha",
        "b" * 40,
        *extra,
    )


def _on_collected(ctx, root, verb, *extra):
    """``verb`` on the snapshot :func:`_collect` wrote."""
    return cli(ctx, root, verb, "--snapshot", str(root / "out/snapshot.json"), *extra)


def _baseline_history(root, make_context):
    """Two baseline runs from the same snapshot, with older timing and durations."""
    for _ in range(2):
        code, _o, err = _on_collected(
            make_context(),
            root,
            "baseline",
            "--baseline",
            str(root / "base/baseline.json"),
            "--durations",
            str(root / "base/.test_durations"),
        )
        assert code == 0, err
    doc = json.loads((root / "base/baseline.json").read_text(encoding="utf-8"))
    doc["runs"][0]["totals"]["lines"] = 60.0
    # Five nightly durations: enough for a band (fewer are no evidence of a slowdown).
    doc["tests"]["tests/api/test_v.py::test_slow"]["durations"] = [1.0, 1.1, 1.0, 1.05, 1.1]
    doc["tests"]["tests/api/test_v.py::test_removed"] = {
        "layer": "api",
        "durations": [0.1],
        "outcomes": "P",
    }
    doc["tests"]["tests.auth::test_skip"]["outcomes"] = "PP"
    del doc["tests"]["tests/api/test_v.py::test_pos"]
    write_json(root / "base/baseline.json", doc)


def test_collect__writes_snapshot_with_coverage_tests_and_timing(workspace, make_context):
    code, _out, err = _collect(make_context(), workspace)
    assert code == 0, err
    snap = json.loads((workspace / "out/snapshot.json").read_text(encoding="utf-8"))
    assert snap["schema"] == "ci-metrics-snapshot"
    assert snap["version"] == 2
    assert set(snap["files"]) == {
        "apps/__init__.py",
        "apps/api/__init__.py",
        "apps/api/views.py",
        "apps/auth_service/__init__.py",
        "apps/auth_service/tokens.py",
        "apps/api/unused.py",
    }
    assert snap["tests"]["api"]["tests/api/test_v.py::test_flaky"] == ["passed", 0.1, 1]
    assert snap["tests"]["auth"]["tests.auth::test_skip"][0] == "skipped"
    assert snap["timing"] == {"api": {"setup": 2.0, "test": 5.0}}
    assert snap["created_at"] == NOW.isoformat(timespec="seconds")
    assert "layer api: 3 tests" in err
    assert "6 files reported" in err
    assert "wrote" in err


def test_collect__unconfigured_layer_folders_are_noted(workspace, make_context):
    write(workspace, "results/perf/junit.xml", "<testsuites/>")
    code, _out, err = _collect(make_context({"GITHUB_RUN_ID": "99"}), workspace)
    assert code == 0
    assert "unconfigured layers: perf" in err
    assert (
        json.loads((workspace / "out/snapshot.json").read_text(encoding="utf-8"))["run_id"] == "99"
    )


def test_collect__missing_coverage_is_one_line_and_exit_2(workspace, make_context):
    code, _out, err = cli(
        make_context(), workspace, "collect", "--coverage-file", str(workspace / "nope")
    )
    assert code == 2
    assert err.strip().splitlines()[-1].startswith("error: coverage data not found")


def test_collect__malformed_junit_exits_2(workspace, make_context):
    write(workspace, "results/auth/junit.xml", "<testsuites><oops")
    code, _out, err = _collect(make_context(), workspace)
    assert code == 2
    assert "malformed JUnit XML" in err


def test_report__full_flow_against_baseline_and_git_diff(workspace, make_context, tmp_path):
    assert _collect(make_context(), workspace)[0] == 0
    _baseline_history(workspace, make_context)
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    event = write_json(
        tmp_path / "event.json", {"pull_request": {"number": 5, "head": {"sha": "c" * 40}}}
    )
    ctx = make_context(
        {
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_REPOSITORY": "octo/repo",
            "GITHUB_BASE_REF": "main",
        }
    )
    (workspace / ".git/refs/remotes/origin").mkdir(parents=True)
    (workspace / ".git/refs/remotes/origin/main").write_text(
        (workspace / ".git/refs/heads/main").read_text()
    )
    code, out, err = _on_collected(
        ctx,
        workspace,
        "report",
        "--baseline",
        str(workspace / "base/baseline.json"),
        "--output-dir",
        str(workspace / "out/report"),
        "--annotations",
    )
    assert code == 0, err
    comment = (workspace / "out/report/comment.md").read_text(encoding="utf-8")
    assert comment.startswith("<!-- ci-metrics:sticky -->\n")
    assert "head `cccccccccc`" in comment
    assert "2 samples" in comment
    assert "| Diff lines (5 changed statements) | 80.00% |" in comment
    assert "[apps/api/views.py](https://github.com/octo/repo/pull/5/files#diff-" in comment
    views = "https://github.com/octo/repo/pull/5/files#diff-" + (
        hashlib.sha256(b"apps/api/views.py").hexdigest()
    )
    assert f"| [17]({views}R17) | [15→17]({views}R15) |" in comment
    assert "- `apps/api/views.py` (api): 1 line in 1 range (auth): 4" in comment
    assert "tests/api/test_v.py::test_slow" in comment
    assert "Removed: 1" in comment
    assert "Newly skipped: 1" in comment
    assert "New: 1" in comment
    assert "apps/auth_service/tokens.py" in comment  # exception in force
    assert "Trend (line coverage, 3 runs)" in comment
    assert summary.read_text(encoding="utf-8").startswith("\n## ")
    figures = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert figures["diff_coverage"] == "80.00"
    assert figures["flaky_tests"] == "1"
    assert out.count("::warning file=apps/api/views.py,line=17,endLine=17") == 1
    assert (
        "::notice file=apps/api/views.py,line=4,endLine=4,title=Covered only by another layer"
        in out
    )
    assert "::notice file=apps/api/views.py,line=15,endLine=15,title=Missing branches" in out


def test_report__local_without_baseline_or_base_ref(workspace, make_context):
    assert _collect(make_context(), workspace)[0] == 0
    ctx = make_context()
    code, _out, err = _on_collected(
        ctx,
        workspace,
        "report",
        "--baseline",
        str(workspace / "none.json"),
        "--base",
        "main",
        "--output-dir",
        str(workspace / "out/r"),
    )
    assert code == 0, err
    comment = (workspace / "out/r/comment.md").read_text(encoding="utf-8")
    assert "no baseline yet" in comment
    assert "head `bbbbbbbbbb`" in comment
    assert "no baseline at" in err


def test_report__diff_file_and_no_diff(workspace, make_context, tmp_path):
    assert _collect(make_context(), workspace)[0] == 0
    diff = tmp_path / "pr.diff"
    diff.write_text(
        "diff --git a/apps/api/views.py b/apps/api/views.py\n--- a/apps/api/views.py\n"
        "+++ b/apps/api/views.py\n@@ -1 +14,4 @@\n-x\n+a\n+b\n+c\n+d\n",
        encoding="utf-8",
    )
    args = ("--snapshot", str(workspace / "out/snapshot.json"), "--output-dir", str(tmp_path / "r"))
    assert cli(make_context(), workspace, "report", *args, "--diff-file", str(diff))[0] == 0
    assert (
        "| Diff lines (4 changed statements) | 75.00% |" in (tmp_path / "r/comment.md").read_text()
    )
    assert cli(make_context(), workspace, "report", *args, "--no-diff")[0] == 0
    assert "_No diff: skipped with --no-diff._" in (tmp_path / "r/comment.md").read_text()


def test_report__no_base_ref_found_reports_without_diff(workspace, make_context, tmp_path):
    assert _collect(make_context(), workspace)[0] == 0
    from support.project import git

    git(workspace, "branch", "-q", "-m", "main", "trunk")
    code, _o, err = _on_collected(
        make_context(),
        workspace,
        "report",
        "--output-dir",
        str(tmp_path / "r"),
    )
    assert code == 0
    assert "reporting without diff coverage" in err


def test_report__missing_requested_base_and_empty_diff_file_exit_2(
    workspace, make_context, tmp_path
):
    assert _collect(make_context(), workspace)[0] == 0
    snap = str(workspace / "out/snapshot.json")
    code, _o, err = cli(make_context(), workspace, "report", "--snapshot", snap, "--base", "nope")
    assert (code, err.splitlines()[-1]) == (2, "error: base ref 'nope' does not exist")
    (tmp_path / "empty.diff").write_text("", encoding="utf-8")
    code, _o, err = cli(
        make_context(),
        workspace,
        "report",
        "--snapshot",
        snap,
        "--diff-file",
        str(tmp_path / "empty.diff"),
    )
    assert code == 2
    assert "is empty" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not valid JSON"),
        ('{"schema": "x"}', "not a snapshot"),
        ('{"schema": "ci-metrics-snapshot", "version": 3}', "unsupported version 3"),
        (
            '{"schema": "ci-metrics-snapshot", "version": 2, "files": {"a.py": '
            '{"statements": [], "missing": [], "layers": {}}}, "tests": {}}',
            "lacks statements/missing/layers/layer_branches",
        ),
        (
            '{"schema": "ci-metrics-snapshot", "version": 2, "files": {"a.py": {"statements": '
            '[], "missing": [], "layers": {}, "layer_branches": {"api": {"3": [4, "5"]}}}}, '
            '"tests": {}}',
            "'layer_branches' must map layers to lines to destinations",
        ),
        (
            '{"schema": "ci-metrics-snapshot", "version": 2, "files": {}, "tests": {}, '
            '"carried": {"api": {"sha": "a", "run_id": "1", "distance": "0", "counts": {}}}}',
            "'carried' must map layers",
        ),
        (
            '{"schema": "ci-metrics-snapshot", "version": 1, "files": [], "tests": {}}',
            "'files' must",
        ),
        (
            '{"schema": "ci-metrics-snapshot", "version": 1, "files": {"a.py": {}}, "tests": {}}',
            "lacks",
        ),
        (
            '{"schema": "ci-metrics-snapshot", "version": 1, "files": {}, '
            '"tests": {"api": {"t": [1]}}}',
            "malformed tests",
        ),
    ],
)
def test_report__corrupt_snapshot_exits_2(workspace, make_context, tmp_path, content, message):
    (tmp_path / "s.json").write_text(content, encoding="utf-8")
    code, _o, err = cli(make_context(), workspace, "report", "--snapshot", str(tmp_path / "s.json"))
    assert code == 2
    assert message in err


def test_gate__passes_fails_and_honours_exceptions(workspace, make_context):
    assert _collect(make_context(), workspace)[0] == 0
    base = ("--snapshot", str(workspace / "out/snapshot.json"), "--base", "main")
    code, out, _e = cli(make_context(), workspace, "gate", *base)
    assert code == 0, out
    assert "ok   diff coverage 80.00% >= 75.00%" in out
    code, out, _e = cli(
        make_context(),
        workspace,
        "gate",
        *base,
        "--fail-under-diff",
        "90",
        "--fail-under-lines",
        "99",
        "--fail-under-branches",
        "10",
    )
    assert code == 1
    assert "FAIL diff coverage 80.00% < 90.00%" in out
    assert "FAIL project line coverage" in out


def test_gate__expired_exception_warns_and_bad_register_exits_2(workspace, make_context):
    assert _collect(make_context(), workspace)[0] == 0
    base = ("--snapshot", str(workspace / "out/snapshot.json"), "--no-diff")
    write(workspace, "docs/exceptions.md", REGISTER.format(date="2026-01-01"))
    code, _out, err = cli(make_context(), workspace, "gate", *base)
    assert code == 0
    assert "past its review date 2026-01-01" in err
    write(workspace, "docs/exceptions.md", REGISTER.format(date="someday"))
    code, _out, err = cli(make_context(), workspace, "gate", *base)
    assert code == 2
    assert "docs/exceptions.md:3: review date 'someday' is not YYYY-MM-DD" in err


def test_exceptions_check__ok_expired_malformed_and_missing(workspace, make_context):
    code, out, _e = cli(make_context(), workspace, "exceptions", "--check")
    assert code == 0
    assert "1 exception(s), all within their review date" in out
    code, out, _e = cli(make_context(), workspace, "exceptions", "--check", "--today", "2027-01-01")
    assert code == 1
    assert "docs/exceptions.md:3: review date 2026-12-31 of apps/auth_service" in out
    write(workspace, "docs/exceptions.md", "| Module |\n")
    assert cli(make_context(), workspace, "exceptions", "--check")[0] == 2
    code, _o, err = cli(make_context(), workspace, "exceptions", "--register", "missing.md")
    assert code == 2
    assert "exception register not found" in err
    code, _o, err = cli(make_context(), workspace, "exceptions", "--today", "soon")
    assert code == 2
    assert "not a date" in err


def test_baseline__merge_writes_history_and_durations(workspace, make_context):
    assert _collect(make_context(), workspace)[0] == 0
    _baseline_history(workspace, make_context)
    durations = json.loads((workspace / "base/.test_durations").read_text(encoding="utf-8"))
    assert durations["tests/api/test_v.py::test_slow"] == 4.0
    doc = json.loads((workspace / "base/baseline.json").read_text(encoding="utf-8"))
    assert len(doc["runs"]) == 2
    assert doc["window"] == 5
    code, _o, _e = _on_collected(
        make_context(),
        workspace,
        "baseline",
        "--baseline",
        str(workspace / "base/baseline.json"),
        "--durations",
        str(workspace / "base/.test_durations"),
        "--window",
        "2",
    )
    assert code == 0
    assert len(json.loads((workspace / "base/baseline.json").read_text())["runs"]) == 2


@pytest.mark.parametrize("verb", VERBS_IN_ORDER)
def test_every_verb_has_help(verb, capsys):
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args([verb, "--help"])
    assert info.value.code == 0
    assert "usage: ci-metrics " + verb in capsys.readouterr().out


def test_bad_usage_exits_2(make_context):
    ctx = make_context()
    assert run(["frobnicate"], ctx) == 2
    assert "invalid choice" in ctx.stderr.getvalue()


def test_main__uses_the_process_environment(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["exceptions"]) == 2
    assert "exception register not found" in capsys.readouterr().err


def test_input_error_is_exit_code_2():
    assert InputError("x").exit_code == 2


def test_context__default_clock_is_timezone_aware_utc():
    from ci_metrics.context import Context

    assert Context(environ={}).now().utcoffset().total_seconds() == 0


def _gate_with_diff(workspace, make_context, tmp_path, diff_text):
    assert _collect(make_context(), workspace)[0] == 0
    diff = tmp_path / "pr.diff"
    diff.write_text(diff_text, encoding="utf-8")
    return _on_collected(
        make_context(),
        workspace,
        "gate",
        "--diff-file",
        str(diff),
    )


NEW_MODULE_DIFF = (
    "diff --git a/apps/api/new_module.py b/apps/api/new_module.py\nnew file mode 100644\n"
    "--- /dev/null\n+++ b/apps/api/new_module.py\n@@ -0,0 +1,2 @@\n+A = 1\n+B = 2\n"
)
VIEWS_DIFF = (
    "diff --git a/apps/api/views.py b/apps/api/views.py\n--- a/apps/api/views.py\n"
    "+++ b/apps/api/views.py\n@@ -1 +1 @@\n-def handler(x):\n+def handler(x):\n"
)


def test_gate__changed_owned_file_without_coverage_data_fails(workspace, make_context, tmp_path):
    code, out, _err = _gate_with_diff(workspace, make_context, tmp_path, NEW_MODULE_DIFF)
    assert code == 1
    expected = "FAIL diff coverage: no coverage data for 1 changed file(s): apps/api/new_module.py"
    assert expected in out
    assert "path mismatch" in out
    assert "never imported" in out


def test_gate__unmeasured_file_fails_even_beside_covered_changes(workspace, make_context, tmp_path):
    code, out, _err = _gate_with_diff(
        workspace, make_context, tmp_path, VIEWS_DIFF + NEW_MODULE_DIFF
    )
    assert code == 1
    assert "apps/api/new_module.py" in out


def test_gate__changed_test_file_outside_owned_paths_is_not_required(
    workspace, make_context, tmp_path
):
    diff = NEW_MODULE_DIFF.replace("apps/api/new_module.py", "tests/test_new.py")
    code, out, _err = _gate_with_diff(workspace, make_context, tmp_path, diff)
    assert code == 0, out
    assert "ok   diff coverage: nothing to measure (no owned Python statement changed)" in out


def test_gate__layer_with_a_threshold_but_no_data_fails(workspace, make_context):
    pyproject = PYPROJECT.replace("api = 50", "integration = 50")
    write(workspace, "pyproject.toml", pyproject.replace("optional = true", "optional = false"))
    assert _collect(make_context(), workspace)[0] == 0
    snapshot = str(workspace / "out/snapshot.json")
    code, out, _err = cli(make_context(), workspace, "gate", "--snapshot", snapshot, "--no-diff")
    assert code == 1
    assert "FAIL integration layer coverage: no data" in out


def test_gate__no_base_ref_fails_the_diff_gate(workspace, make_context):
    assert _collect(make_context(), workspace)[0] == 0
    from support.project import git

    git(workspace, "branch", "-q", "-m", "main", "trunk")
    code, out, _err = cli(
        make_context(), workspace, "gate", "--snapshot", str(workspace / "out/snapshot.json")
    )
    assert code == 1
    assert "FAIL diff coverage: no diff" in out


def test_usable_cpus__without_an_affinity_mask_counts_the_cpus(monkeypatch):
    from ci_metrics.verbs import collect

    assert collect.usable_cpus() >= 1
    monkeypatch.delattr(collect.os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(collect.os, "cpu_count", lambda: None)
    assert collect.usable_cpus() == 1


def test_collect__combines_the_layers_data_first(workspace, make_context):
    (workspace / "results/coverage/.coverage").unlink()
    code, _out, err = _collect(
        make_context(), workspace, "--combine", str(workspace / ".coverage.api"),
        "--combine", str(workspace / ".coverage.auth"),
    )  # fmt: skip
    assert code == 0, err
    assert "combining" in err
    assert (workspace / "results/coverage/.coverage").is_file()
    assert (workspace / ".coverage.api").is_file()


def test_locate__outside_git_the_project_is_its_own_work_tree(tmp_path, make_context):
    from ci_metrics.context import Workspace, locate

    assert locate(tmp_path, make_context()) == Workspace(tmp_path.resolve(), tmp_path.resolve())
    workspace = Workspace(tmp_path / "tree", tmp_path / "tree")
    assert workspace.prefix_of(tmp_path / "elsewhere") == ""
    assert workspace.prefix_of(tmp_path / "tree") == ""


def test_collect__files_outside_the_work_tree_are_an_error_unless_allowed(
    workspace, make_context, tmp_path
):
    import coverage

    (tmp_path / "vendored.py").write_text("v = 1\n", encoding="utf-8")
    data = coverage.CoverageData(basename=str(workspace / "results/coverage/.coverage"))
    data.read()
    data.add_arcs({str(tmp_path / "vendored.py"): [(-1, 1), (1, -1)]})
    data.write()
    code, _out, err = _collect(make_context(), workspace)
    assert code == 2
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: 1 measured file(s) outside the git work tree")
    assert str(tmp_path / "vendored.py") in last
    assert "allow_outside_worktree = true" in last
    assert not (workspace / "out/snapshot.json").exists()
    write(workspace, "pyproject.toml", PYPROJECT + "allow_outside_worktree = true\n")
    code, _out, err = _collect(make_context(), workspace)
    assert code == 0, err
    assert "1 measured file(s) outside the git work tree" in err
    files = json.loads((workspace / "out/snapshot.json").read_text(encoding="utf-8"))["files"]
    assert str(tmp_path / "vendored.py") in files


def test_collect__records_what_each_python_version_of_a_layer_did(workspace, make_context):
    (workspace / "results/api/report-log.jsonl").unlink()
    write(workspace, "results/api/report-log-py3.11.jsonl", _log([("t::a", "passed", 0.2)]))
    write(workspace, "results/api/report-log-py3.13.jsonl", _log([("t::a", "failed", 0.3)]))
    code, _out, err = _collect(make_context(), workspace)
    assert code == 0, err
    assert "layer api: 1 tests on Python 3.11, 3.13" in err
    doc = json.loads((workspace / "out/snapshot.json").read_text(encoding="utf-8"))
    assert doc["tests"]["api"] == {"t::a": ["failed", 0.3, 0]}
    assert doc["python"]["api"]["3.13"]["failed"] == ["t::a"]
    assert doc["python"]["api"]["3.11"]["counts"]["passed"] == 1
    assert "auth" not in doc["python"]  # its files name no version


def _merge_scores(context, workspace, scores, *extra):
    """``baseline merge`` of the collected snapshot with the mutation scores file."""
    return cli(
        context,
        workspace,
        "baseline",
        "merge",
        "--snapshot",
        str(workspace / "out/snapshot.json"),
        "--baseline",
        str(workspace / "base/baseline.json"),
        "--mutation-scores",
        str(scores),
        *extra,
    )


def test_baseline_merge__records_mutation_scores_and_summarises_them(
    workspace, make_context, tmp_path
):
    code, _out, err = _collect(make_context(), workspace)
    assert code == 0, err
    scores = tmp_path / "scores.json"
    summary = tmp_path / "summary.md"

    def merge(modules):
        write_json(scores, {"goal": 90, "modules": modules, "extra": "ignored"})
        return _merge_scores(
            make_context({"GITHUB_STEP_SUMMARY": str(summary)}),
            workspace,
            scores,
            "--durations",
            str(workspace / "base/.test_durations"),
        )

    code, out, err = merge({"a.py": {"mutants": 10, "detected": 9, "score": 90.0, "layer": "x"}})
    assert code == 0, err
    code, out, err = merge(
        {
            "a.py": {"mutants": 10, "detected": 8, "score": 80.0},
            "b.py": {"mutants": 0, "detected": 0, "score": None},
        }
    )
    assert code == 0, err
    runs = json.loads((workspace / "base/baseline.json").read_text())["runs"]
    assert runs[-1]["mutation"] == {
        "a.py": {"mutants": 10, "detected": 8, "score": 80.0},
        "b.py": {"mutants": 0, "detected": 0, "score": None},
    }
    assert "| `a.py` | 10 | 8 | 80.0% ⚠️ | -10.0 |" in out
    assert "| `b.py` | 0 | 0 | — ⚠️ | new |" in out
    assert "Below the goal: `b.py`, `a.py`." in out
    assert summary.read_text().count("## Mutation scores (goal 90%)") == 2


def test_baseline_merge__says_which_layers_the_mutation_run_could_not_score(
    workspace, make_context, tmp_path
):
    code, _out, err = _collect(make_context(), workspace)
    assert code == 0, err
    scores = tmp_path / "scores.json"
    write_json(scores, {"modules": {"b.py": {"mutants": 20, "detected": 19, "score": 95.0}}})
    code, _out, err = _merge_scores(make_context(), workspace, scores)
    assert code == 0, err
    write_json(
        scores,
        {
            "goal": 90,
            "modules": {"a.py": {"mutants": 10, "detected": 10, "score": 100.0}},
            "failed": [{"layer": "tooling", "reason": "mutmut run failed (exit 1)"}],
        },
    )
    code, out, err = _merge_scores(make_context(), workspace, scores)
    assert code == 0, err
    runs = json.loads((workspace / "base/baseline.json").read_text())["runs"]
    assert runs[-1]["mutation"] == {"a.py": {"mutants": 10, "detected": 10, "score": 100.0}}
    assert "Not scored tonight (their modules are missing above):" in out
    assert "- tooling: mutmut run failed (exit 1)" in out
    # The next night scores both again: b.py is compared with the night before the gap.
    write_json(
        scores,
        {
            "goal": 90,
            "modules": {
                "a.py": {"mutants": 10, "detected": 9, "score": 90.0},
                "b.py": {"mutants": 10, "detected": 10, "score": 100.0},
            },
        },
    )
    code, out, err = _merge_scores(make_context(), workspace, scores)
    assert code == 0, err
    assert "| `a.py` | 10 | 9 | 90.0% | -10.0 |" in out
    assert "| `b.py` | 10 | 10 | 100.0% | +5.0 |" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "mutation scores not found"),
        ({"modules": {}}, "no 'modules' table"),
        ({"modules": {}, "failed": []}, "no 'modules' table"),
        (
            {
                "modules": {"a.py": {"mutants": 1, "detected": 1, "score": 100}},
                "failed": [{"layer": "api"}],
            },
            "failed: must be a list of {layer, reason} tables",
        ),
        (
            {"modules": {"a.py": {"mutants": 1, "detected": 2, "score": 100}}},
            "a.py: mutants and detected must be counts, detected <= mutants",
        ),
        (
            {"modules": {"a.py": {"mutants": 1, "detected": 1, "score": None}}},
            "a.py: score must be a percentage",
        ),
        (
            {"goal": "high", "modules": {"a.py": {"mutants": 1, "detected": 1, "score": 100}}},
            "goal: must be a percentage",
        ),
    ],
)
def test_baseline_merge__bad_mutation_scores_exit_2_and_write_nothing(
    workspace, make_context, tmp_path, content, message
):
    code, _out, err = _collect(make_context(), workspace)
    assert code == 0, err
    scores = tmp_path / "scores.json"
    if content is not None:
        write_json(scores, content)
    code, _out, err = _merge_scores(make_context(), workspace, scores)
    assert code == 2
    assert message in err
    assert not (workspace / "base").exists()


def test_resolve_pull_request__flag_then_event_then_github_sha_then_the_snapshots(
    make_context, tmp_path
):
    from ci_metrics.context import resolve_pull_request

    event = write_json(
        tmp_path / "event.json", {"pull_request": {"number": 5, "head": {"sha": "e" * 40}}}
    )
    env = {"GITHUB_EVENT_PATH": str(event), "GITHUB_SHA": "g" * 40, "GITHUB_REPOSITORY": "o/r"}
    found = resolve_pull_request(make_context(env), number=None, head_sha=None, measured="m")
    assert (found.number, found.head_sha, found.repository) == (5, "e" * 40, "o/r")
    flags = resolve_pull_request(make_context(env), number=9, head_sha="f" * 40, measured="m")
    assert (flags.number, flags.head_sha) == (9, "f" * 40)
    push = resolve_pull_request(
        make_context({"GITHUB_SHA": "g" * 40}), number=None, head_sha=None, measured="m"
    )
    assert (push.number, push.head_sha) == (None, "g" * 40)
    local = resolve_pull_request(make_context(), number=None, head_sha=None, measured="m")
    assert (local.number, local.head_sha) == (None, "m")


@pytest.mark.parametrize("number", ["5", 0, True, None])
def test_resolve_pull_request__an_event_number_that_is_no_pull_request_is_refused(
    make_context, tmp_path, number
):
    from ci_metrics.context import resolve_pull_request

    event = write_json(tmp_path / "event.json", {"pull_request": {"number": number}})
    with pytest.raises(InputError, match="not a pull request number"):
        resolve_pull_request(
            make_context({"GITHUB_EVENT_PATH": str(event)}), number=None, head_sha=None
        )


def test_verbs__start_without_the_libraries_they_do_not_use():
    """Building the parser (every verb's --help) imports neither coverage.py, httpx,
    tenacity, Jinja2 nor msgspec: each verb imports what it runs when it runs."""
    import subprocess
    import sys

    heavy = ("coverage", "httpx", "tenacity", "jinja2", "msgspec")
    code = (
        "import sys; from ci_metrics.cli import build_parser; build_parser(); "
        f"print([m for m in {heavy!r} if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_verbs__dispatch_to_the_verb_modules_themselves():
    from ci_metrics.cli import VERBS, build_parser
    from ci_metrics.verbs import gate

    assert build_parser().parse_args(["gate"]).run is gate.run
    assert [verb.NAME for verb in VERBS] == VERBS_IN_ORDER
