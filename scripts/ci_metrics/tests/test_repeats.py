"""Repeats: another run of a nightly run's commit, kept beside it for the noise.

The baseline keeps a repeat while a run of its commit is in the window; the
noise counts a nightly run and its repeat as runs of one commit.
"""

from __future__ import annotations

import json

import msgspec
import pytest

from ci_metrics.errors import InputError
from ci_metrics.model import baseline as bl
from ci_metrics.model.noise import CONSECUTIVE, SAME_COMMIT, Noise, coverage_noise
from ci_metrics.model.repeats import add_repeat, repeat_record
from ci_metrics.settings import load_settings
from support.project import write
from support.snapshots import file_entry

A, B = "a" * 40, "b" * 40
PYPROJECT = """\
[tool.ci_metrics]
thresholds = { project_lines = 50, project_branches = false, diff = false }
baseline_window = 5
layers.api = ["apps/api"]
layers.integration = ["apps"]
"""


@pytest.fixture
def root(tmp_path):
    """A project of two layers, ``api`` and ``integration``, and no baseline yet."""
    write(tmp_path, "pyproject.toml", PYPROJECT)
    write(tmp_path, "apps/api/__init__.py", "")
    return tmp_path


def snapshot(make_snapshot, covered, sha=A, run_id="500", created_at="2026-03-01T03:40:00+00:00"):
    """A full run: ``covered`` of 10,000 statements ran, under both layers."""
    lines = range(1, covered + 1)
    files = {
        "apps/api/views.py": file_entry(
            range(1, 10001),
            missing=range(covered + 1, 10001),
            layers={"api": lines, "integration": lines},
        )
    }
    tests = {"api": {"tests/api/test_v.py::test_a": ("passed", 0.1, 0)}}
    return make_snapshot(files=files, tests=tests, sha=sha, run_id=run_id, created_at=created_at)


def push_run(make_snapshot, covered, sha=A):
    """The snapshot ci.yml's push run of ``sha`` uploaded the afternoon before."""
    return snapshot(make_snapshot, covered, sha, "9", "2026-02-28T18:00:00+00:00")


@pytest.mark.parametrize(
    ("runs", "repeats", "noise"),
    [
        # The nights alone: consecutive changes of 0; the repeat of b shows 0.04.
        ([("a", 81.42), ("b", 81.42)], [("b", 81.38)], Noise(0.04, 2, SAME_COMMIT, 1)),
        # Two nights of a and its repeat: three runs of one commit.
        ([("a", 80.0), ("a", 80.1), ("b", 81.0)], [("a", 79.9)], Noise(0.2, 3, SAME_COMMIT, 1)),
        # A repeat is never in the consecutive changes, nor one without a figure.
        ([("a", 80.0), ("b", 80.2)], [("c", 90.0), ("a", None)], Noise(0.2, 2, CONSECUTIVE)),
        ([("a", 80.0)], [("a", None), ("", 80.5)], Noise(None, 1)),
    ],
)
def test_coverage_noise__counts_repeats_as_runs_of_their_commit(runs, repeats, noise):
    assert coverage_noise(runs, repeats) == noise


def test_noise__says_how_many_of_its_runs_are_repeats():
    assert Noise(0.04, 3, SAME_COMMIT, 1).describe() == (
        "±0.04 (runs of the same commit, 3 runs: 2 nightly, 1 repeat)"
    )
    assert Noise(0.04, 4, SAME_COMMIT, 2).sample() == "4 runs: 2 nightly, 2 repeats"
    assert Noise(0.04, 2, SAME_COMMIT).describe() == "±0.04 (runs of the same commit, 2 runs)"


def test_repeats__leave_the_window_with_the_last_run_of_their_commit(root, make_snapshot):
    settings = msgspec.structs.replace(load_settings(root / "pyproject.toml"), baseline_window=2)
    doc = bl.empty_baseline(2)
    for sha, run_id in [(A, "1"), (A, "2"), (B, "3"), ("c" * 40, "4")]:
        doc = bl.merge_snapshot(doc, snapshot(make_snapshot, 8142, sha, run_id), settings)
        push = snapshot(make_snapshot, 8140, sha, f"p{run_id}", "2026-02-28T18:00:00+00:00")
        doc = add_repeat(doc, repeat_record(push, settings))
        if run_id == "3":  # a's second night is still in the window, and so its repeat
            assert [r.run_id for r in doc.repeats] == ["p2", "p3"]
    assert [r.run_id for r in doc.runs] == ["3", "4"]
    assert [r.run_id for r in doc.repeats] == ["p3", "p4"]


def test_baseline__repeats_round_trip_and_files_without_them_read_as_none(root, make_snapshot):
    settings = load_settings(root / "pyproject.toml")
    doc = bl.merge_snapshot(bl.empty_baseline(5), snapshot(make_snapshot, 8142), settings)
    assert "repeats" not in doc.to_json()
    with_repeat = add_repeat(doc, repeat_record(push_run(make_snapshot, 8138), settings))
    text = json.loads(json.dumps(with_repeat.to_json()))
    assert bl.Baseline.from_json(text, "baseline") == with_repeat
    del text["repeats"]
    assert bl.Baseline.from_json(text, "baseline").repeats == []
    text["repeats"] = [{"sha": A}]
    with pytest.raises(InputError) as info:
        bl.Baseline.from_json(text, "baseline")
    assert str(info.value) == "baseline is invalid: repeats[0].run_id: is required"
