"""Repeats: another run of a nightly run's commit, recorded beside it for the noise.

``baseline merge --repeat FILE`` records a snapshot file, ``--repeat-from-github``
the snapshot the default branch's push (or merge-queue) run uploaded for the same
commit. A repeat of another commit, of the same run, or carrying layers is refused
and nothing is written; none found on GitHub is a normal state. The noise then
counts a nightly run and its repeat as runs of one commit.
"""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile

import msgspec
import pytest

from ci_metrics.errors import InputError
from ci_metrics.model import baseline as bl
from ci_metrics.model.analysis import build_report
from ci_metrics.model.noise import CONSECUTIVE, SAME_COMMIT, Noise, coverage_noise
from ci_metrics.model.repeats import add_repeat, repeat_record
from ci_metrics.model.report import PullRequest
from ci_metrics.model.snapshot import CarriedLayer
from ci_metrics.render.comment import render_comment
from ci_metrics.settings import load_settings
from support.context import NOW
from support.github_cli import run_verb
from support.project import write, write_json
from support.snapshots import file_entry

A, B = "a" * 40, "b" * 40
ARTIFACT = "ci-metrics-snapshot"
MARKER = "<!-- ci-metrics:sticky -->"
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


def save(root, name, snap):
    return write_json(root / name, snap.to_json())


def merge(ctx, root, night, *extra):
    """``baseline merge`` of the snapshot file ``night`` into ``root/base/``."""
    return run_verb(
        ctx,
        "baseline",
        "merge",
        "--root",
        str(root),
        "--snapshot",
        str(root / night),
        "--baseline",
        str(root / "base/baseline.json"),
        "--durations",
        str(root / "base/.test_durations"),
        *extra,
    )


def stored(root):
    return json.loads((root / "base/baseline.json").read_text(encoding="utf-8"))


def test_merge__records_a_repeat_file_beside_its_run_once(root, make_snapshot, make_context):
    save(root, "night.json", snapshot(make_snapshot, 8142))
    save(root, "push.json", push_run(make_snapshot, 8138))
    code, out = merge(make_context(), root, "night.json", "--repeat", str(root / "push.json"))
    assert code == 0, out
    assert f"recorded repeat {root / 'push.json'} as a repeat of `aaaaaaaaaa`" in out
    assert "project lines 81.38% there, 81.42% in this run" in out
    assert "(1 run, 1 repeat) and" in out
    assert (
        "1 run in the window and 1 repeat of their commits (other runs of the same commit, "
        "for the coverage noise); the newest is run 500 at `aaaaaaaaaa`."
    ) in out
    doc = stored(root)
    assert [run["run_id"] for run in doc["runs"]] == ["500"]
    assert doc["repeats"] == [
        {
            "sha": A,
            "run_id": "9",
            "created_at": "2026-02-28T18:00:00+00:00",
            "totals": {"lines": 81.38, "branches": None},
            "coverage": {"api": 81.38, "integration": 81.38},
        }
    ]
    # The next night measures the same commit and finds the same push run: kept once.
    save(root, "night2.json", snapshot(make_snapshot, 8140, run_id="501"))
    code, out = merge(make_context(), root, "night2.json", "--repeat", str(root / "push.json"))
    assert code == 0, out
    assert f"no repeat recorded: repeat {root / 'push.json'} is in the baseline already" in out
    doc = stored(root)
    assert (len(doc["runs"]), len(doc["repeats"])) == (2, 1)


def carried(snap):
    return dataclasses.replace(snap, carried={"api": CarriedLayer(A, "8", 0, {"passed": 1})})


@pytest.mark.parametrize(
    ("repeat", "problem"),
    [
        (
            lambda ms: push_run(ms, 8138, sha=B),
            "it is of commit `bbbbbbbbbb`, not the snapshot's `aaaaaaaaaa`",
        ),
        (lambda ms: snapshot(ms, 8142), "it is the snapshot's own run (500)"),
        (
            lambda ms: carried(push_run(ms, 8138)),
            "it is of a run that did not run every layer (it carries layers from another run)",
        ),
        (lambda ms: push_run(ms, 8138, sha=""), "it names no commit"),
    ],
    ids=["another commit", "the same run", "carried layers", "no commit"],
)
def test_merge__a_repeat_that_is_none_is_refused_and_nothing_written(
    root, make_snapshot, make_context, repeat, problem
):
    save(root, "night.json", snapshot(make_snapshot, 8142))
    save(root, "repeat.json", repeat(make_snapshot))
    code, out = merge(make_context(), root, "night.json", "--repeat", str(root / "repeat.json"))
    assert code == 2
    assert out.strip().splitlines()[-1] == (
        f"error: repeat {root / 'repeat.json'} is no repeat of snapshot {root / 'night.json'}: "
        f"{problem} (a repeat is another run of the same commit)"
    )
    assert not (root / "base").exists()


def test_merge__repeat_flags_are_one_or_the_other_and_for_merge_only(
    root, make_snapshot, make_context
):
    save(root, "night.json", snapshot(make_snapshot, 8142))
    code, out = merge(
        make_context(), root, "night.json", "--repeat", "x.json", "--repeat-from-github"
    )
    assert code == 2
    assert "not allowed with argument --repeat" in out
    code, out = run_verb(make_context(), "baseline", "fetch", "--repeat-from-github")
    assert (code, out.strip()) == (
        2,
        "error: --repeat and --repeat-from-github apply to baseline merge only",
    )
    assert not (root / "base").exists()


def snapshot_zip(snap=None, text=None):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("snapshot.json", text or json.dumps(snap.to_json()))
    return buffer.getvalue()


def test_from_github__the_push_run_of_the_same_commit(root, make_snapshot, gh_context, fake_github):
    fake_github.add_run(12, event="pull_request", head_sha=A)  # any commit may head one
    fake_github.add_artifact(12, ARTIFACT, snapshot_zip(push_run(make_snapshot, 7000)))
    fake_github.add_run(9, event="push", head_sha=A)
    fake_github.add_artifact(9, ARTIFACT, snapshot_zip(push_run(make_snapshot, 8138)))
    save(root, "night.json", snapshot(make_snapshot, 8142))
    code, out = merge(gh_context(), root, "night.json", "--repeat-from-github")
    assert code == 0, out
    assert "looking for a repeat of `aaaaaaaaaa`: ci.yml's ci-metrics-snapshot artifact" in out
    assert "recorded the snapshot of run 9 as a repeat of `aaaaaaaaaa`" in out
    assert [(r["run_id"], r["totals"]["lines"]) for r in stored(root)["repeats"]] == [("9", 81.38)]
    runs = [q for _m, p, q, _a in fake_github.requests if p.endswith("/ci.yml/runs")]
    assert len(runs) == 1
    assert f"head_sha={A}" in runs[0]


def test_from_github__none_found_is_no_error_and_the_run_is_recorded(
    root, make_snapshot, gh_context, fake_github
):
    save(root, "night.json", snapshot(make_snapshot, 8142))
    code, out = merge(gh_context(), root, "night.json", "--repeat-from-github")
    assert code == 0, out
    assert "no repeat recorded: ci.yml has no push or merge-queue run of `aaaaaaaaaa`" in out
    doc = stored(root)
    assert len(doc["runs"]) == 1
    assert "repeats" not in doc  # written as before repeats existed


@pytest.mark.parametrize(
    ("events", "why"),
    [
        (["merge_group"], "the push or merge-queue run of ci.yml at `aaaaaaaaaa` has no"),
        (
            ["push", "push"],
            "none of the 2 push or merge-queue runs of ci.yml at `aaaaaaaaaa` has an",
        ),
    ],
)
def test_from_github__only_expired_artifacts_is_no_error(
    root, make_snapshot, gh_context, fake_github, events, why
):
    for run_id, event in enumerate(events, start=9):
        fake_github.add_run(run_id, event=event, head_sha=A)
        archive = snapshot_zip(push_run(make_snapshot, 8138))
        fake_github.add_artifact(run_id, ARTIFACT, archive, expired=True)
    save(root, "night.json", snapshot(make_snapshot, 8142))
    code, out = merge(gh_context(), root, "night.json", "--repeat-from-github")
    assert code == 0, out
    assert f"no repeat recorded: {why} unexpired ci-metrics-snapshot artifact" in out
    assert "repeats" not in stored(root)
    assert len(stored(root)["runs"]) == 1


def earlier_night(root, make_context, make_snapshot):
    """A baseline with one night already; returns its text."""
    save(root, "night0.json", snapshot(make_snapshot, 8142, sha=B, run_id="499"))
    code, out = merge(make_context(), root, "night0.json")
    assert code == 0, out
    return (root / "base/baseline.json").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("artifact", "message"),
    [
        (
            snapshot_zip(text='{"schema": "other"}'),
            "error: the snapshot artifact of run 9: snapshot.json is invalid: not a snapshot",
        ),
        (b"PK\x03\x04 cut short", "error: the snapshot artifact of run 9: not a zip archive"),
        (
            "carried",
            "error: the snapshot of run 9 is no repeat of snapshot {night}: it is of a run "
            "that did not run every layer (it carries layers from another run) (a repeat is "
            "another run of the same commit)",
        ),
    ],
    ids=["not a snapshot", "corrupt archive", "carried layers"],
)
def test_from_github__an_unusable_artifact_exits_2_and_writes_nothing(
    root, make_snapshot, make_context, gh_context, fake_github, artifact, message
):
    before = earlier_night(root, make_context, make_snapshot)
    if artifact == "carried":
        artifact = snapshot_zip(carried(push_run(make_snapshot, 8138)))
    fake_github.add_run(9, event="push", head_sha=A)
    fake_github.add_artifact(9, ARTIFACT, artifact)
    save(root, "night.json", snapshot(make_snapshot, 8142))
    (root / "base/.test_durations").unlink()
    code, out = merge(gh_context(), root, "night.json", "--repeat-from-github")
    assert code == 2
    assert out.strip().splitlines()[-1] == message.format(night=root / "night.json")
    assert (root / "base/baseline.json").read_text(encoding="utf-8") == before
    assert not (root / "base/.test_durations").exists()


def test_from_github__github_failing_exits_3_and_writes_nothing(
    root, make_snapshot, make_context, gh_context, fake_github
):
    before = earlier_night(root, make_context, make_snapshot)
    fake_github.fail_next("GET", 401, message="Bad credentials", path="/runs$")
    save(root, "night.json", snapshot(make_snapshot, 8142))
    code, out = merge(gh_context(), root, "night.json", "--repeat-from-github")
    assert code == 3
    assert "401: Bad credentials" in out.strip().splitlines()[-1]
    assert (root / "base/baseline.json").read_text(encoding="utf-8") == before


def test_from_github__needs_a_token_and_a_commit(root, make_snapshot, make_context):
    save(root, "night.json", snapshot(make_snapshot, 8142))
    ctx = make_context({"GITHUB_REPOSITORY": "octo/repo"})
    code, out = merge(ctx, root, "night.json", "--repeat-from-github")
    assert (code, out.strip().splitlines()[-1]) == (2, "error: GITHUB_TOKEN is not set")
    save(root, "local.json", snapshot(make_snapshot, 8142, sha=""))
    code, out = merge(make_context(), root, "local.json", "--repeat-from-github")
    assert (code, out.strip().splitlines()[-1]) == (
        2,
        f"error: snapshot {root / 'local.json'} names no commit: --repeat-from-github looks "
        "its repeat up by commit",
    )
    assert not (root / "base").exists()


def head_report(make_snapshot, root, baseline, covered):
    """A pull request's report against ``baseline`` with ``covered`` of 10,000 statements."""
    head = snapshot(make_snapshot, covered, sha="f" * 40, run_id="77")
    settings = load_settings(root / "pyproject.toml")
    return build_report(snapshot=head, baseline=baseline, diff=None, settings=settings,
                        register=[], pr=PullRequest(), now=NOW, diff_skipped=True)  # fmt: skip


def test_must_not_drop__a_wobble_the_push_run_shows_passes_a_drop_fails(
    root, make_snapshot, make_context, gh_context, fake_github
):
    """Two nights of two commits at the same figure: the changes between nights say 0.00,
    so a pull request 0.04 lower fails. The push run of the newest commit measured 0.04
    less than its night: recorded as its repeat, the noise is that spread."""
    quiet = json.loads(earlier_night(root, make_context, make_snapshot))
    save(root, "night.json", snapshot(make_snapshot, 8142))
    code, out = merge(make_context(), root, "night.json")
    assert code == 0, out
    without = bl.load_baseline(root / "base/baseline.json")
    assert not head_report(make_snapshot, root, without, 8138).no_drop.passed
    assert head_report(make_snapshot, root, without, 8138).lines_noise == Noise(0.0, 2, CONSECUTIVE)

    write_json(root / "base/baseline.json", quiet)
    fake_github.add_run(9, event="push", head_sha=A)
    fake_github.add_artifact(9, ARTIFACT, snapshot_zip(push_run(make_snapshot, 8138)))
    code, out = merge(gh_context(), root, "night.json", "--repeat-from-github")
    assert code == 0, out
    baseline = bl.load_baseline(root / "base/baseline.json")
    wobble = head_report(make_snapshot, root, baseline, 8138)
    assert wobble.lines_noise == Noise(0.04, 2, SAME_COMMIT, repeats=1)
    assert wobble.no_drop.passed
    assert wobble.no_drop.describe() == (
        "project line coverage vs base 81.38% >= 81.38% (base 81.42% at nightly run 500 "
        "(`aaaaaaaaaa`), tolerance 0.04 points: the noise of 2 runs: 1 nightly, 1 repeat "
        "(runs of the same commit))"
    )
    comment = render_comment(wobble, MARKER, 65536)
    assert "| Project lines | 81.38% | -0.04 (noise) |" in comment
    assert "project lines ±0.04 (runs of the same commit, 2 runs: 1 nightly, 1 repeat)" in comment
    assert "integration ±0.04 (runs of the same commit, 2 runs: 1 nightly, 1 repeat)" in comment
    drop = head_report(make_snapshot, root, baseline, 8092)
    assert not drop.no_drop.passed
    assert drop.no_drop.describe().startswith("project line coverage vs base 80.92% < 81.38%")
    assert "| Project lines | 80.92% | 🔻 -0.50 |" in render_comment(drop, MARKER, 65536)


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
