"""Why a test failed, read from the report log and JUnit XML a real pytest run wrote."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from ci_metrics.errors import InputError
from ci_metrics.inputs.failures import WorkTree, from_junit, from_longrepr
from ci_metrics.inputs.redaction import REDACTED, redact_text
from ci_metrics.inputs.results import read_junit, read_layer_runs, read_report_log
from ci_metrics.model.failures import MESSAGE_CHARS, Failure
from ci_metrics.model.snapshot import load_snapshot
from support.pytest_runs import SECRET

SUITE = "tests/test_suite.py"


def results_of(run, reader=read_report_log):
    path = run.report_log if reader is read_report_log else run.junit
    return reader(path, WorkTree(run.root, run.root))


def where(failure):
    return (failure.kind, failure.path, failure.line, failure.phase)


@pytest.mark.parametrize("style", ["long", "short"])
def test_report_log__cause_and_deepest_line_inside_the_work_tree(suite_runs, style):
    results = results_of(suite_runs[style])
    # json's own frames lie outside the work tree: the helper that called it is the line.
    parse = results[f"{SUITE}::test_parses_config"]
    assert parse.outcome == "failed"
    assert where(parse.failure) == ("json.decoder.JSONDecodeError", "tests/helpers.py", 5, "call")
    assert parse.failure.message.startswith("Expecting property name enclosed in double quotes")
    assert parse.failure.missing == ""
    fixture = results[f"{SUITE}::test_talks_to_service"].failure
    assert where(fixture) == ("ConnectionError", "tests/conftest.py", 6, "setup")
    assert fixture.message == "service at 127.0.0.1:9 refused the connection"
    # A rewritten assert has no type in pytest's message: it is an AssertionError.
    param = results[f"{SUITE}::test_param[2]"].failure
    assert (param.headline, param.path, param.line) == ("AssertionError: assert 2 == 1", SUITE, 35)
    assert results[f"{SUITE}::test_param[1]"].failure is None


@pytest.mark.parametrize("style", ["long", "short"])
def test_report_log__a_flaky_test_keeps_why_it_failed_before_its_rerun(suite_runs, style):
    flaky = results_of(suite_runs[style])[f"{SUITE}::test_flaky"]
    assert (flaky.outcome, flaky.reruns, flaky.flaky) == ("passed", 1, True)
    assert flaky.failure.headline == "AssertionError: first attempt loses the race"
    assert (flaky.failure.path, flaky.failure.line) == (SUITE, 18)


def test_report_log__quarantined_failure_and_pass_are_told_from_an_ordinary_xfail(suite_runs):
    results = results_of(suite_runs["long"])
    racy = results[f"{SUITE}::test_racy"]
    assert racy.outcome == "quarantined"
    assert (racy.failure.headline, racy.failure.line) == ("AssertionError: assert 2 == 1", 22)
    fixed = results[f"{SUITE}::test_fixed_since"]
    assert (fixed.outcome, fixed.failure) == ("passed", None)  # its pass counts as one


def test_report_log__messages_are_redacted_and_capped_before_they_are_kept(suite_runs):
    leak = results_of(suite_runs["long"])[f"{SUITE}::test_leaks_a_token"].failure
    assert SECRET not in leak.message
    assert leak.message.startswith(f"rejected Authorization: {REDACTED} for xxx")
    assert len(leak.message) == MESSAGE_CHARS
    assert leak.message.endswith("…")
    raw = suite_runs["long"].report_log.read_text(encoding="utf-8")
    assert SECRET in raw  # pytest wrote it; ci-metrics keeps it out


def test_summary__keeps_the_whole_message_the_comment_cuts_to_its_first_line(suite_runs):
    from ci_metrics.model.report import PullRequest, Report
    from ci_metrics.model.triage import triage
    from ci_metrics.render.comment import render_comment, render_summary
    from support.snapshots import make_snapshot

    results = results_of(suite_runs["long"])
    flaky = results[f"{SUITE}::test_flaky"].failure
    assert flaky.detail == "first attempt loses the race\nassert 1 > 1\n +  where 1 = len([1])"
    assert results[f"{SUITE}::test_param[2]"].failure.detail == ""  # one line: nothing more
    leaked = results[f"{SUITE}::test_leaks_a_token"].failure
    assert leaked.detail == f"rejected Authorization: {REDACTED} for " + "x" * 400
    failed = replace(results[f"{SUITE}::test_param[2]"], failure=replace(flaky, detail="a ``` b"))
    found = triage(replace(make_snapshot(), tests={"unit": {"t::a": failed}}), None, [])
    report = Report(PullRequest(), "now", None, None, None, None, None, None, "", [], [],
                    tests=found)  # fmt: skip
    summary = render_summary(report)
    assert "  <details><summary>Whole message</summary>\n\n  ````text\n  a ``` b\n  ````" in summary
    assert "Whole message" not in render_comment(report, "<!-- m -->", 65536)


@pytest.mark.parametrize("style", ["long", "short"])
def test_junit__the_same_causes_without_a_report_log(suite_runs, style):
    # "short" ran with FORCE_COLOR=1, and pytest colours the JUnit failure text too.
    if style == "short":
        assert "#x1B[31m" in suite_runs[style].junit.read_text()
    results = results_of(suite_runs[style], read_junit)
    parse = results["tests.test_suite::test_parses_config"].failure
    assert where(parse) == ("json.decoder.JSONDecodeError", "tests/helpers.py", 5, "call")
    fixture = results["tests.test_suite::test_talks_to_service"].failure
    assert where(fixture) == ("ConnectionError", "tests/conftest.py", 6, "setup")
    assert fixture.message == "service at 127.0.0.1:9 refused the connection"
    assert SECRET not in results["tests.test_suite::test_leaks_a_token"].failure.message
    racy = results["tests.test_suite::test_racy"]
    assert racy.outcome == "quarantined"
    assert racy.failure.missing.endswith("JUnit XML keeps no traceback of an expected failure")


def test_report_log__without_a_work_tree_the_line_is_missing_and_said_so(suite_runs):
    run = suite_runs["long"]
    failure = read_report_log(run.report_log)[f"{SUITE}::test_param[2]"].failure
    assert (failure.headline, failure.path, failure.line) == (
        "AssertionError: assert 2 == 1",
        "",
        0,
    )
    assert failure.missing.endswith("(tests/test_suite.py::test_param[2]): no traceback entry "
                                    "inside the work tree")  # fmt: skip
    assert str(run.report_log) in failure.missing


def test_work_tree__installed_packages_and_outside_paths_are_not_ours(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src/a.py").write_text("x = 1\n")
    site = tmp_path / ".tox/api/lib/python3.11/site-packages/lib"
    site.mkdir(parents=True)
    (site / "b.py").write_text("y = 1\n")
    tree = WorkTree(tmp_path, tmp_path)
    assert tree("src/a.py") == "src/a.py"
    assert tree(str(tmp_path / "src/a.py")) == "src/a.py"
    assert tree(".tox/api/lib/python3.11/site-packages/lib/b.py") is None
    assert tree("/usr/lib/python3.11/json/decoder.py") is None
    assert tree("../elsewhere.py") is None
    assert tree("src/gone.py") is None


def test_junit__a_failure_without_message_or_text_says_what_is_missing(tmp_path):
    path = tmp_path / "junit-py3.11.xml"
    path.write_text(
        '<testsuites><testsuite><testcase classname="tests.t" name="test_a" time="0.1">'
        "<failure/></testcase></testsuite></testsuites>",
        encoding="utf-8",
    )
    failure = read_junit(path)["tests.t::test_a"].failure
    assert (failure.kind, failure.message, failure.path) == ("", "", "")
    assert failure.missing == (
        f"{path} (tests.t::test_a): no message and no traceback line inside the work tree"
    )


@pytest.mark.parametrize(
    ("longrepr", "expected"),
    [
        (None, Failure(missing="log:3 (t::a): no longrepr: the cause is not recorded")),
        (42, Failure(missing="log:3 (t::a): no longrepr: the cause is not recorded")),
        (
            "KeyError: 'x'\nmore",
            Failure(
                kind="KeyError",
                message="'x'",
                missing="log:3 (t::a): no traceback, only text: the failing line is unknown",
            ),
        ),
        (
            {"reprcrash": "odd", "reprtraceback": {"reprentries": ["odd", {"data": 1}]}},
            Failure(
                missing="log:3 (t::a): no exception and no traceback entry inside the work tree"
            ),
        ),
    ],
)
def test_from_longrepr__an_unreadable_longrepr_names_what_is_missing(longrepr, expected):
    assert from_longrepr(longrepr, "call", lambda _p: None, "log:3 (t::a)") == expected


def test_from_junit__without_a_typed_message_the_type_comes_from_its_text():
    element = ET.fromstring('<failure message="went wrong">x.py:3: KeyError</failure>')  # noqa: S314
    failure = from_junit(element, lambda path: path, "j.xml (t::a)")
    assert (failure.kind, failure.message, failure.line) == ("KeyError", "went wrong", 3)


def test_from_junit__a_fixture_error_keeps_its_phase_and_exception():
    element = ET.fromstring(  # noqa: S314  (the test's own XML)
        '<error message="failed on teardown with &quot;OSError: disk full&quot;">'
        "x.py:3: OSError</error>"
    )
    failure = from_junit(element, lambda path: path, "j.xml (t::a)")
    assert where(failure) == ("OSError", "x.py", 3, "teardown")
    assert failure.message == "disk full"


def test_collect__names_the_failures_whose_cause_is_missing(project, make_context):
    from support.project import write

    write(
        project,
        "pyproject.toml",
        '[tool.ci_metrics]\nlayers = { api = ["apps/api"], auth = ["apps/auth_service"] }\n',
    )
    write(
        project,
        "results/api/junit-py3.11.xml",
        '<testsuites><testcase classname="tests.t" name="test_a" time="0.1">'
        "<failure/></testcase></testsuites>",
    )
    from ci_metrics.cli import run

    ctx = make_context()
    snapshot = project / "out/snapshot.json"
    argv = ["collect", "--root", str(project), "--results-dir", str(project / "results")]
    argv += ["--coverage-file", str(project / "results/coverage/.coverage")]
    code = run([*argv, "--output", str(snapshot)], ctx)
    assert code == 0, ctx.stderr.getvalue()
    assert (
        f"  note: {project}/results/api/junit-py3.11.xml (tests.t::test_a): no message and no "
        "traceback line inside the work tree"
    ) in ctx.stderr.getvalue().splitlines()
    kept = load_snapshot(snapshot).tests["api"]["tests.t::test_a"].failure
    assert kept.missing.endswith("no message and no traceback line inside the work tree")
    cases = "".join(
        f'<testcase classname="tests.t" name="test_{i}"><failure/></testcase>' for i in range(12)
    )
    write(project, "results/api/junit-py3.11.xml", f"<testsuites>{cases}</testsuites>")
    ctx = make_context()
    assert run([*argv, "--output", str(snapshot)], ctx) == 0
    notes = [line for line in ctx.stderr.getvalue().splitlines() if "note:" in line]
    assert len(notes) == 11
    assert notes[-1] == "  note: and 2 more failures lack part of their cause"


def test_snapshot__failures_survive_the_round_trip_and_old_snapshots_load(
    suite_runs, make_snapshot, tmp_path
):
    runs = read_layer_runs(suite_runs["long"].report_log.parent, WorkTree(
        suite_runs["long"].root, suite_runs["long"].root))  # fmt: skip
    snapshot = replace(make_snapshot(), tests={"unit": runs[""]})
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(snapshot.to_json()), encoding="utf-8")
    assert load_snapshot(path).tests == snapshot.tests
    doc = json.loads(path.read_text())
    del doc["failures"]  # written before failures were kept
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert all(r.failure is None for r in load_snapshot(path).tests["unit"].values())


@pytest.mark.parametrize(
    "failures",
    [[], {"unit": {f"{SUITE}::test_flaky": {"line": "7"}}},
     {"unit": {f"{SUITE}::test_flaky": {"phase": "lunch"}}},
     {"unit": {f"{SUITE}::test_flaky": "AssertionError"}}],
)  # fmt: skip
def test_snapshot__malformed_failures_are_refused(make_snapshot, tmp_path, failures):
    from ci_metrics.model.outcomes import TestResult

    snapshot = make_snapshot()
    doc = snapshot.to_json()
    doc["tests"] = {"unit": {f"{SUITE}::test_flaky": ["passed", 0.1, 1]}}
    doc["failures"] = failures
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError, match=r"snapshot .* is invalid"):
        load_snapshot(path)
    assert TestResult("passed", 0.1, 1).failure is None


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Authorization: Bearer abcdefgh12345678", f"Authorization: {REDACTED}"),
        ("sent Basic dXNlcjpwYXNzd29yZA== upstream", f"sent Basic {REDACTED} upstream"),
        (f"got {SECRET} back", f"got {REDACTED} back"),
        ("{'password': 'hunter2', 'user': 'bob'}", f"{{'password': '{REDACTED}', 'user': 'bob'}}"),
        ('{"client_secret": "s3cr3t", "n": 1}', f'{{"client_secret": "{REDACTED}", "n": 1}}'),
        ("db_password=xyz123 next", f"db_password={REDACTED} next"),
        ("X-Api-Key: abc", f"X-Api-Key: {REDACTED}"),  # ends in _api_key, as - reads _
        ("X-Request-Id: abc", "X-Request-Id: abc"),
        ("API-KEY = sk-1234", f"API-KEY = {REDACTED}"),
        ("token_type=bearer", "token_type=bearer"),
        # The value of a key that is not secret never hides a secret key after it.
        (
            "first attempt: token=ghp_0123456789abcdef refused",
            f"first attempt: token={REDACTED} refused",
        ),
        ("error: password=hunter22, retried", f"error: password={REDACTED}, retried"),
        ("GET /cb?state=x&access_token=abc123", f"GET /cb?state=x&access_token={REDACTED}"),
        ("the bearer of bad news", "the bearer of bad news"),
        ("assert 2 == 1", "assert 2 == 1"),
    ],
)
def test_redact_text__the_log_redaction_rules_on_text(text, shown):
    assert redact_text(text) == shown
