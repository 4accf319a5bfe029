"""A layer run on several Python versions: one row, unless the versions disagree."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from ci_metrics.errors import InputError
from ci_metrics.model.outcomes import VersionOutcome
from ci_metrics.model.snapshot import load_snapshot
from ci_metrics.render.comment import render_comment
from support.report_samples import report_of
from support.snapshots import file_entry

PASSED = {"passed": 2, "failed": 0, "skipped": 0, "xfailed": 0, "xpassed": 0}
ONE_FAILED = {"passed": 1, "failed": 1, "skipped": 0, "xfailed": 0, "xpassed": 0}
TESTS = {
    "api": {
        "tests/api/test_a.py::test_ok": ("passed", 0.1, 0),
        "tests/api/test_a.py::test_new_python": ("failed", 0.1, 0),
    }
}


@pytest.fixture
def snapshot(make_snapshot):
    files = {"apps/api/a.py": file_entry([1, 2], layers={"api": [1, 2]})}
    return make_snapshot(files=files, tests=TESTS, timing={"api": (1.0, 4.0)})


def test_report__versions_that_agree_share_one_row(snapshot, settings):
    failed = ("tests/api/test_a.py::test_new_python",)
    agreeing = replace(
        snapshot,
        python={"api": {v: VersionOutcome(ONE_FAILED, failed) for v in ("3.11", "3.13")}},
    )
    report = report_of(agreeing, settings)
    assert [(row.name, row.python, row.failed) for row in report.layers if row.name == "api"] == [
        ("api", "", 1)
    ]
    assert [(t.nodeid, t.pythons) for t in report.tests.failed] == [(failed[0], ("3.11", "3.13"))]
    comment = render_comment(report, "<!-- m -->", 65536)
    assert "| api | 1 | 1 |" in comment
    assert "· Python" not in comment  # one row for the layer
    assert f"- ❌ `{failed[0]}` (api, failed on Python 3.11, 3.13)" in comment


def test_report__versions_that_disagree_get_a_row_each_and_name_the_failing_one(snapshot, settings):
    failed = "tests/api/test_a.py::test_new_python"
    disagreeing = replace(
        snapshot,
        python={
            "api": {
                "3.11": VersionOutcome(PASSED, ()),
                "3.13": VersionOutcome(ONE_FAILED, (failed,)),
            }
        },
    )
    report = report_of(disagreeing, settings)
    rows = [(r.python, r.passed, r.failed, r.duration, r.coverage) for r in report.layers]
    assert [row for row in rows if row[0]] == [
        ("3.11", 2, 0, 4.0, 100.0),
        ("3.13", 1, 1, 4.0, 100.0),
    ]
    assert [(t.nodeid, t.detail) for t in report.tests.failed] == [(failed, "Python 3.13")]
    comment = render_comment(report, "<!-- m -->", 65536)
    assert "| api · Python 3.11 | 2 | 0 |" in comment
    assert "| api · Python 3.13 | 1 | 1 |" in comment
    assert f"- ❌ `{failed}` (api, failed on Python 3.13)" in comment
    assert "one row per version" in comment


def test_snapshot__per_version_outcomes_survive_the_round_trip(snapshot, tmp_path):
    python = {"api": {"3.13": VersionOutcome(ONE_FAILED, ("t::b",))}}
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(replace(snapshot, python=python).to_json()), encoding="utf-8")
    assert load_snapshot(path).python == python
    doc = json.loads(path.read_text())
    del doc["python"]  # written before versions were recorded
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert load_snapshot(path).python == {}


@pytest.mark.parametrize(
    "python",
    [
        [],
        {"api": []},
        {"api": {"3.13": {"counts": {"passed": "1"}, "failed": []}}},
        {"api": {"3.13": {"counts": {"bogus": 1}, "failed": []}}},
        {"api": {"3.13": {"counts": {}, "failed": [1]}}},
        {"api": {"3.13": {"counts": {}}}},
    ],
)
def test_snapshot__malformed_per_version_outcomes_are_refused(snapshot, tmp_path, python):
    doc = snapshot.to_json() | {"python": python}
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError, match="'python' must map layers to versions"):
        load_snapshot(path)
