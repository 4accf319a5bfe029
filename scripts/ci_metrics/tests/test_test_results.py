"""Test outcomes from report logs, JUnit XML and tox result JSON."""

from __future__ import annotations

import json

import pytest

from ci_metrics.errors import InputError
from ci_metrics.inputs.results import (
    python_of,
    read_junit,
    read_layer_results,
    read_layer_runs,
    read_report_log,
    read_tox_results,
)
from ci_metrics.model.outcomes import (
    EnvTiming,
    TestResult,
    VersionOutcome,
    count_outcomes,
    merge_versions,
)

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="4">
<testcase classname="tests.unit.api.test_a" name="test_ok" time="0.5"/>
<testcase classname="tests.unit.api.test_a" name="test_bad" time="1.25">
<failure message="x"/></testcase>
<testcase classname="tests.unit.api.test_a" name="test_err" time="0"><error message="x"/></testcase>
<testcase classname="" name="test_skip" time=""><skipped message="no"/></testcase>
</testsuite></testsuites>
"""


def _log(*entries):
    lines = [json.dumps({"$report_type": "SessionStart", "pytest_version": "9"})]
    for nodeid, when, outcome, duration in entries:
        lines.append(
            json.dumps(
                {
                    "$report_type": "TestReport",
                    "nodeid": nodeid,
                    "when": when,
                    "outcome": outcome,
                    "duration": duration,
                }
            )
        )
    return "\n".join(lines) + "\n\n"


def test_read_report_log__final_attempt_outcome_duration_and_reruns(tmp_path):
    path = tmp_path / "report-log.jsonl"
    path.write_text(
        _log(
            ("t::flaky", "setup", "passed", 0.1),
            ("t::flaky", "call", "rerun", 2.0),
            ("t::flaky", "setup", "passed", 0.1),
            ("t::flaky", "call", "passed", 0.5),
            ("t::flaky", "teardown", "passed", 0.0),
            ("t::bad", "call", "failed", 1.0),
            ("t::bad", "teardown", "skipped", 0.0),
            ("t::skip", "setup", "skipped", 0.0),
        ),
        encoding="utf-8",
    )
    results = read_report_log(path)
    flaky = results["t::flaky"]
    assert (flaky.outcome, flaky.duration, flaky.reruns) == ("passed", 0.6, 1)
    assert flaky.flaky
    assert results["t::bad"].outcome == "failed"
    assert results["t::skip"] == TestResult("skipped", 0.0, 0)
    assert count_outcomes(results) == {
        "passed": 1, "failed": 1, "skipped": 1, "xfailed": 0, "xpassed": 0, "quarantined": 0,
    }  # fmt: skip


def test_read_report_log__bad_json_line_names_the_line(tmp_path):
    path = tmp_path / "report-log.jsonl"
    path.write_text(_log(("t::a", "call", "passed", 0.1)) + "{oops\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"report-log.jsonl:4: not a JSON line"):
        read_report_log(path)


def test_read_report_log__entry_without_nodeid_is_rejected(tmp_path):
    path = tmp_path / "report-log.jsonl"
    path.write_text(
        json.dumps({"$report_type": "TestReport", "outcome": "passed"}) + "\n", encoding="utf-8"
    )
    with pytest.raises(InputError, match=":1: test report without nodeid"):
        read_report_log(path)


def test_read_report_log__unreadable_file_is_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot read report log"):
        read_report_log(tmp_path / "missing.jsonl")


def test_read_junit__outcomes_and_ids(tmp_path):
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT, encoding="utf-8")
    results = read_junit(path)
    assert results["tests.unit.api.test_a::test_ok"] == TestResult("passed", 0.5)
    assert results["tests.unit.api.test_a::test_bad"].outcome == "failed"
    assert results["tests.unit.api.test_a::test_err"].outcome == "failed"
    assert results["test_skip"] == TestResult("skipped", 0.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<testsuites><testcase", "malformed JUnit XML"),
        ('<testsuites><testcase classname="a"/></testsuites>', "without a name"),
        ('<testsuites><testcase name="a" time="soon"/></testsuites>', "time is not a number"),
    ],
)
def test_read_junit__bad_input_is_input_error(tmp_path, text, message):
    path = tmp_path / "junit.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_junit(path)


def test_read_junit__missing_file_is_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot read JUnit XML"):
        read_junit(tmp_path / "nope.xml")


def test_read_layer_results__prefers_report_log_then_junit_then_none(tmp_path):
    (tmp_path / "junit.xml").write_text(JUNIT, encoding="utf-8")
    assert len(read_layer_results(tmp_path)) == 4
    (tmp_path / "report-log.jsonl").write_text(
        _log(("t::a", "call", "passed", 0.1)), encoding="utf-8"
    )
    assert list(read_layer_results(tmp_path)) == ["t::a"]
    (tmp_path / "report-log-2.jsonl").write_text(
        _log(("t::b", "call", "failed", 0.1)), encoding="utf-8"
    )
    assert sorted(read_layer_results(tmp_path)) == ["t::a", "t::b"]
    assert read_layer_results(tmp_path / "empty") is None


def test_read_tox_results__sums_setup_and_test_elapsed_over_files(tmp_path):
    one = tmp_path / "a.json"
    one.write_text(
        json.dumps(
            {
                "testenvs": {
                    "api": {
                        "setup": [{"elapsed": 1.5}, {"elapsed": 0.5}, "junk"],
                        "test": [{"elapsed": 3.0}, {"elapsed": "x"}],
                    },
                    ".pkg": "ignored-not-a-table",
                }
            }
        ),
        encoding="utf-8",
    )
    two = tmp_path / "b.json"
    two.write_text(
        json.dumps(
            {
                "testenvs": {
                    "auth": {"test": [{"elapsed": 2}], "setup": None},
                    "api": {"test": [{"elapsed": 1.0}]},
                }
            }
        ),
        encoding="utf-8",
    )
    timings = read_tox_results([one, two])
    assert (timings["api"].setup, timings["api"].test) == (2.0, 4.0)
    assert (timings["auth"].setup, timings["auth"].test) == (0.0, 2.0)
    assert ".pkg" not in timings


@pytest.mark.parametrize(
    ("text", "message"), [("{", "cannot read tox result JSON"), ("[]", "no 'testenvs' table")]
)
def test_read_tox_results__bad_file_is_input_error(tmp_path, text, message):
    path = tmp_path / "tox.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_tox_results([path])


def test_read_report_log__xfail_and_xpass_are_counted_apart_from_skipped(tmp_path):
    path = tmp_path / "report-log.jsonl"
    lines = [
        {"nodeid": "t::xf", "when": "call", "outcome": "skipped", "wasxfail": "bug 1"},
        {"nodeid": "t::xp", "when": "call", "outcome": "passed", "wasxfail": ""},
        {"nodeid": "t::s", "when": "setup", "outcome": "skipped"},
    ]
    path.write_text(
        "".join(
            json.dumps({"$report_type": "TestReport", "duration": 0.1, **e}) + "\n" for e in lines
        ),
        encoding="utf-8",
    )
    results = read_report_log(path)
    assert {n: r.outcome for n, r in results.items()} == {
        "t::xf": "xfailed",
        "t::xp": "xpassed",
        "t::s": "skipped",
    }
    assert count_outcomes(results) == {
        "passed": 0, "failed": 0, "skipped": 1, "xfailed": 1, "xpassed": 1, "quarantined": 0,
    }  # fmt: skip


def test_read_junit__xfail_is_not_a_skip(tmp_path):
    path = tmp_path / "junit.xml"
    path.write_text(
        '<testsuites><testsuite><testcase classname="t" name="xf" time="0.1">'
        '<skipped type="pytest.xfail" message="expected test failure">bug</skipped>'
        "</testcase></testsuite></testsuites>",
        encoding="utf-8",
    )
    assert read_junit(path)["t::xf"].outcome == "xfailed"


@pytest.mark.parametrize(
    ("name", "python"),
    [
        ("junit-py3.13.xml", "3.13"),
        ("report-log-py3.11-2.jsonl", "3.11"),
        ("tox-result-py3.12.json", "3.12"),
        ("junit.xml", ""),
        ("junit-2.xml", ""),
        ("junit-pypy.xml", ""),
    ],
)
def test_python_of__reads_the_version_a_result_file_names(tmp_path, name, python):
    assert python_of(tmp_path / name) == python


def test_read_layer_runs__one_result_set_per_python_version_shards_merged(tmp_path):
    (tmp_path / "report-log-py3.11.jsonl").write_text(
        _log(("t::a", "call", "passed", 0.1), ("t::b", "call", "passed", 0.1)), encoding="utf-8"
    )
    (tmp_path / "report-log-py3.13-1.jsonl").write_text(
        _log(("t::a", "call", "passed", 0.3)), encoding="utf-8"
    )
    (tmp_path / "report-log-py3.13-2.jsonl").write_text(
        _log(("t::b", "call", "failed", 0.2)), encoding="utf-8"
    )
    runs = read_layer_runs(tmp_path)
    assert {v: {n: r.outcome for n, r in res.items()} for v, res in runs.items()} == {
        "3.11": {"t::a": "passed", "t::b": "passed"},
        "3.13": {"t::a": "passed", "t::b": "failed"},
    }
    assert VersionOutcome.of(runs["3.13"]).failed == ("t::b",)
    merged = read_layer_results(tmp_path)
    assert {n: (r.outcome, r.duration) for n, r in merged.items()} == {
        "t::a": ("passed", 0.3),
        "t::b": ("failed", 0.2),
    }


def test_merge_versions__a_test_fails_if_it_failed_anywhere_and_keeps_its_longest_run():
    merged = merge_versions(
        {
            "3.11": {
                "t::flaky": TestResult("passed", 1.0, 1),
                "t::skip_old": TestResult("skipped", 0.0),
                "t::xfail": TestResult("xfailed", 0.1),
            },
            "3.13": {
                "t::flaky": TestResult("failed", 2.0, 2),
                "t::skip_old": TestResult("passed", 0.5),
                "t::xfail": TestResult("xfailed", 0.3),
                "t::new": TestResult("passed", 0.2),
            },
        }
    )
    assert merged == {
        "t::flaky": TestResult("failed", 2.0, 3),
        "t::skip_old": TestResult("passed", 0.5),
        "t::xfail": TestResult("xfailed", 0.3),
        "t::new": TestResult("passed", 0.2),
    }
    assert not merged["t::flaky"].flaky


def test_read_tox_results__shards_add_up_versions_take_the_slowest(tmp_path):
    def write(name, setup, test):
        env = {"api": {"setup": [{"elapsed": setup}], "test": [{"elapsed": test}]}}
        (tmp_path / name).write_text(json.dumps({"testenvs": env}), encoding="utf-8")

    write("tox-result-py3.11-1.json", 1.0, 10.0)
    write("tox-result-py3.11-2.json", 1.0, 12.0)
    write("tox-result-py3.13.json", 3.0, 15.0)
    timing = read_tox_results(sorted(tmp_path.iterdir()))
    assert timing["api"] == EnvTiming(setup=3.0, test=22.0)
