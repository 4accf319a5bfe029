"""Merging snapshots into the rolling baseline; durations for pytest-split."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from msgspec.structs import replace

from ci_metrics.errors import InputError
from ci_metrics.inputs.fileio import write_json_atomic
from ci_metrics.model import baseline as bl
from support.snapshots import file_entry

FILES = {
    "apps/api/x.py": file_entry(
        [1, 2, 3, 4], missing=[4], branches={"2": [2, [4]]}, layers={"api": [1, 2, 3]}
    )
}


def _merge_runs(settings, make_snapshot, runs):
    doc = bl.empty_baseline(settings.baseline_window)
    for index, tests in enumerate(runs):
        doc = bl.merge_snapshot(
            doc,
            make_snapshot(
                files=FILES, tests=tests, run_id=str(index), timing={"api": (1.0, 10.0 + index)}
            ),
            settings,
        )
    return doc


def test_merge_snapshot__window_medians_flakes_and_durations(settings, make_snapshot):
    settings = replace(settings, baseline_window=3)
    runs = [
        {"api": {"t::a": ("passed", 1.0, 0), "t::f": ("passed", 0.2, 1)}},
        {"api": {"t::a": ("passed", 3.0, 0), "t::f": ("passed", 0.2, 0)}},
        {
            "api": {
                "t::a": ("passed", 2.0, 0),
                "t::f": ("passed", 0.2, 1),
                "t::s": ("skipped", 0.0, 0),
            }
        },
        {"api": {"t::a": ("failed", 10.0, 0), "t::f": ("passed", 0.4, 1)}},
    ]
    doc = _merge_runs(settings, make_snapshot, runs)
    assert [r.run_id for r in doc.runs] == ["1", "2", "3"]
    assert doc.runs[-1].totals == bl.RunTotals(lines=75.0, branches=50.0)
    assert doc.runs[-1].layers["api"].coverage == 75.0
    assert doc.files["apps/api/x.py"] == bl.FileFigures(lines=75.0, branches=50.0)
    hist = doc.tests
    assert hist["t::a"].durations == [3.0, 2.0, 10.0]
    assert hist["t::a"].outcomes == "PPF"
    assert hist["t::a"].median == 3.0
    assert hist["t::a"].p95 == pytest.approx(9.3)
    assert (hist["t::f"].flakes, hist["t::f"].flake_rate) == (2, 2 / 3)
    assert hist["t::s"].durations == []
    assert hist["t::s"].median is None
    assert bl.durations_map(doc) == {"t::a": 3.0, "t::f": 0.2}
    assert bl.layer_band(doc, "api") == (12.0, pytest.approx(12.9), 3)
    assert bl.layer_band(doc, "auth") is None


def test_merge_snapshot__absent_tests_age_out_after_a_window(settings, make_snapshot):
    settings = replace(settings, baseline_window=2)
    runs = [{"api": {"t::old": ("passed", 1.0, 0)}}, {"api": {}}, {"api": {}}]
    doc = _merge_runs(settings, make_snapshot, runs[:2])
    assert doc.tests["t::old"].missing_for == 1
    doc = _merge_runs(settings, make_snapshot, runs)
    assert "t::old" not in doc.tests


def test_test_history__empty_has_zero_flake_rate():
    assert bl.TestHistory("api", [], "").flake_rate == 0.0


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"schema": "other"}, "not a ci-metrics baseline"),
        ({"schema": bl.SCHEMA, "version": 9}, "unsupported version 9"),
        (
            {"schema": bl.SCHEMA, "version": 1, "runs": {}, "files": {}, "tests": {}},
            "runs: must be an array",
        ),
    ],
)
def test_load_baseline__invalid_documents(tmp_path, payload, message):
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    with pytest.raises(InputError, match=message):
        bl.load_baseline(path)


def test_load_baseline__round_trip(tmp_path, settings):
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps(bl.empty_baseline(5).to_json()), encoding="utf-8")
    assert bl.load_baseline(path) == bl.Baseline(window=5)


GOLDEN = Path(__file__).parent / "golden" / "baseline-v1.json"


def test_load_baseline__a_file_written_before_the_types_loads_and_writes_back_the_same(tmp_path):
    """golden/baseline-v1.json was written by the untyped baseline code (three runs, one
    with mutation scores, tests that went missing): it reads, and writes back unchanged."""
    baseline = bl.load_baseline(GOLDEN)
    assert [run.run_id for run in baseline.runs] == ["100", "101", "102"]
    assert baseline.runs[1].mutation == {"apps/api/x.py": bl.ModuleScore(10, 9, 90.0)}
    assert baseline.runs[0].mutation is None
    assert baseline.tests["t::gone"].missing_for == 2
    assert baseline.tests["t::a"].outcomes == "PRF"
    assert baseline.to_json() == json.loads(GOLDEN.read_text(encoding="utf-8"))
    written = write_json_atomic(tmp_path / "baseline.json", baseline.to_json())
    assert written.read_text(encoding="utf-8") == GOLDEN.read_text(encoding="utf-8").rstrip("\n")


def test_load_baseline__a_malformed_run_names_where(tmp_path):
    doc = json.loads(GOLDEN.read_text(encoding="utf-8"))
    doc["runs"][1]["totals"]["lines"] = "high"
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError) as info:
        bl.load_baseline(path)
    assert str(info.value) == f"baseline {path} is invalid: runs[1].totals.lines: must be a number"


def test_layer_band__runs_recorded_before_kinds_count_for_either_kind(settings, make_snapshot):
    doc = json.loads(GOLDEN.read_text(encoding="utf-8"))
    del doc["runs"][0]["layers"]["api"]["duration_kind"]
    baseline = bl.Baseline.from_json(doc, "old")
    assert bl.layer_band(baseline, "api", "tests") == (6.05, pytest.approx(9.605), 2)
    assert bl.layer_band(baseline, "api", "wall") == (11.0, pytest.approx(11.9), 2)
