"""Carrying layers forward: ``plan``, then ``collect --carry``, then ``report`` and ``gate``.

A carried run must read like a run of every layer: the same statements, missing
lines and missing branches as coverage.py's own report of every layer's data;
a changed file's figures never come from carried data; a layer that failed at
the base is never carried; a base whose data does not fit is refused, and the
gate says so; the comment never shows a carried layer as run.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import pytest

from ci_metrics.model.carry import CarryRefused, carry_forward
from ci_metrics.model.lineranges import from_ranges
from ci_metrics.model.metrics import project_totals, run_length
from ci_metrics.model.snapshot import load_snapshot
from support.carry_project import collect
from support.github_cli import run_verb
from support.snapshots import file_entry


def make_plan(make_context, project, out, *extra):
    code, said = run_verb(
        make_context(),
        "plan",
        "--root",
        str(project.root),
        "--base",
        "main",
        "--snapshots",
        str(project.snapshots),
        "--output-dir",
        str(out),
        *extra,
    )
    assert code == 0, said
    return out / "plan.json"


def carried_run(make_context, project, tmp_path, folder="fresh"):
    plan = make_plan(make_context, project, tmp_path / "plan")
    output = tmp_path / "snapshot.json"
    said = collect(project.root, folder, output, project.feature, "--carry", str(plan))
    return load_snapshot(output), said, plan


def missing_branches(entry):
    return sorted(
        (int(line), end) for line, (_exits, ends) in entry["branches"].items() for end in ends
    )


def test_a_carried_run_equals_a_run_of_every_layer(carry_project, make_context, tmp_path):
    plan = json.loads(make_plan(make_context, carry_project, tmp_path / "plan").read_text())
    assert {layer: entry["run"] for layer, entry in plan["layers"].items()} == {
        "a": True,
        "b": False,
        "c": False,
    }
    snapshot, said, _plan = carried_run(make_context, carry_project, tmp_path)
    assert f"carried b, c from `{carry_project.main[:7]}`" in said
    truth = carry_project.coverage_json("all")
    assert set(snapshot.files) == set(truth)
    for path, facts in truth.items():
        entry = snapshot.files[path]
        assert run_length(entry["statements"]) == facts["summary"]["num_statements"], path
        assert from_ranges(entry["missing"]) == set(facts["missing_lines"]), path
        assert missing_branches(entry) == sorted(map(tuple, facts["missing_branches"])), path
        assert sum(e for e, _m in entry["branches"].values()) == facts["summary"]["num_branches"]
    totals = project_totals(snapshot.files)
    assert (
        totals.lines_percent
        == project_totals(load_snapshot(full_snapshot(carry_project, tmp_path)).files).lines_percent
    )
    # The layer a alone leaves shared.py's branches half covered: carrying makes the difference.
    fresh = carry_project.coverage_json("fresh")["pkg/shared.py"]
    assert fresh["missing_branches"] != truth["pkg/shared.py"]["missing_branches"]


def full_snapshot(project, tmp_path):
    output = tmp_path / "full.json"
    collect(project.root, "all", output, project.feature)
    return output


def test_each_layers_lines_and_branches_are_those_of_a_full_run(
    carry_project, make_context, tmp_path
):
    snapshot, _said, _plan = carried_run(make_context, carry_project, tmp_path)
    full = load_snapshot(full_snapshot(carry_project, tmp_path))
    for path, entry in full.files.items():
        assert snapshot.files[path]["layers"] == entry["layers"], path
        assert snapshot.files[path]["layer_branches"] == entry["layer_branches"], path
    assert snapshot.tests.keys() == {"a"}  # b and c did not run
    assert {layer: (c.sha, c.counts["passed"]) for layer, c in snapshot.carried.items()} == {
        "b": (carry_project.main, 1),
        "c": (carry_project.main, 1),
    }


def test_a_changed_file_keeps_this_runs_data_whatever_the_base_says(make_snapshot):
    # The base (wrongly) says the carried layer c ran lines of the changed file.
    changed = "pkg/a.py"
    base = make_snapshot(
        files={
            changed: file_entry(
                [1, 2, 3, 4],
                missing=[4],
                branches={"2": [2, []]},
                layers={"c": [1, 2, 3]},
                layer_branches={"c": {2: [3, 4]}},
            )
        },
        tests={"c": {"t": ("passed", 0.1, 0)}},
    )
    fresh = make_snapshot(
        files={
            changed: file_entry(
                [1, 2, 3, 4, 5],
                missing=[3, 4, 5],
                branches={"2": [2, [3, 4]]},
                layers={"a": [1, 2]},
            )
        },
        tests={"a": {"t": ("passed", 0.1, 0)}},
    )
    combined = carry_forward(fresh, base, ["c"], [changed], 0)
    assert combined.files[changed] == fresh.files[changed]
    assert combined.carried["c"].counts["passed"] == 1


@pytest.mark.parametrize(
    ("tests", "reason"),
    [
        ({"c": {"t": ("failed", 0.1, 0)}}, "c failed at the base (1 failed): it is never carried"),
        ({}, "c has no results at the base: it is never carried"),
    ],
)
def test_a_layer_that_failed_or_has_no_results_at_the_base_is_never_carried(
    make_snapshot, tests, reason
):
    base = make_snapshot(files={}, tests=tests)
    fresh = make_snapshot(files={}, tests={"a": {"t": ("passed", 0.1, 0)}})
    with pytest.raises(CarryRefused) as info:
        carry_forward(fresh, base, ["c"], [], 0)
    assert str(info.value) == reason


def gate(make_context, project, snapshot_path, *extra):
    return run_verb(
        make_context(),
        "gate",
        "--root",
        str(project.root),
        "--snapshot",
        str(snapshot_path),
        "--no-diff",
        "--base-snapshot",
        str(snapshot_path.parent / "none.json"),
        *extra,
    )


def test_a_failed_base_layer_slipped_into_a_plan_fails_the_gate(
    carry_project, make_context, tmp_path
):
    plan = make_plan(make_context, carry_project, tmp_path / "plan")
    kept = plan.parent / "base-snapshot.json"
    doc = json.loads(kept.read_text())
    doc["tests"]["c"] = {"run_c.test_c": ["failed", 0.1, 0]}
    kept.write_text(json.dumps(doc))
    output = tmp_path / "snapshot.json"
    said = collect(carry_project.root, "fresh", output, carry_project.feature, "--carry", str(plan))
    assert "carried data does not match: rerun with full: true: c failed at the base" in said
    snapshot = load_snapshot(output)
    assert (snapshot.carried, snapshot.carry_refused) == (
        {},
        "c failed at the base (1 failed): it is never carried",
    )
    code, out = gate(make_context, carry_project, output)
    assert code == 1
    assert (
        "FAIL carried data does not match: rerun with full: true "
        "(c failed at the base (1 failed): it is never carried)"
    ) in out


def test_an_unchanged_file_whose_statements_differ_refuses_the_carry(
    carry_project, make_context, tmp_path
):
    plan = make_plan(make_context, carry_project, tmp_path / "plan")
    kept = plan.parent / "base-snapshot.json"
    doc = json.loads(kept.read_text())
    doc["files"]["pkg/shared.py"]["statements"].append([99, 99])
    kept.write_text(json.dumps(doc))
    output = tmp_path / "snapshot.json"
    collect(carry_project.root, "fresh", output, carry_project.feature, "--carry", str(plan))
    refused = load_snapshot(output).carry_refused
    assert refused == (
        "`pkg/shared.py` is unchanged, but its statements or branches differ between the base "
        "snapshot and this run"
    )
    code, out = gate(make_context, carry_project, output)
    assert code == 1
    assert f"FAIL carried data does not match: rerun with full: true ({refused})" in out


def test_data_of_a_carried_layer_in_this_run_refuses_the_carry(
    carry_project, make_context, tmp_path
):
    plan = make_plan(make_context, carry_project, tmp_path / "plan")
    output = tmp_path / "snapshot.json"
    # Every layer's data, as left behind by an earlier local run of all of them.
    collect(carry_project.root, "all", output, carry_project.feature, "--carry", str(plan))
    assert load_snapshot(output).carry_refused == (
        "b has data of this run too: it cannot also be carried"
    )


def test_a_plan_that_runs_nothing_carries_every_layer_without_coverage_data(
    carry_project, make_context, tmp_path
):
    plan_path = make_plan(make_context, carry_project, tmp_path / "plan")
    plan = json.loads(plan_path.read_text())
    for entry in plan["layers"].values():
        entry.update(run=False, rules=[])
    plan_path.write_text(json.dumps(plan))
    empty = tmp_path / "nothing"
    output = tmp_path / "snapshot.json"
    code, said = run_verb(
        make_context(),
        "collect",
        "--root",
        str(carry_project.root),
        "--combine",
        str(empty / "layers"),  # absent: nothing ran
        "--results-dir",
        str(empty),
        "--carry",
        str(plan_path),
        "--output",
        str(output),
    )
    assert code == 0, said
    assert "the plan runs no layer" in said
    snapshot = load_snapshot(output)
    base = load_snapshot(carry_project.snapshots / f"{carry_project.main}.json")
    changed = set(plan["changed"])
    assert {p: e["missing"] for p, e in snapshot.files.items()} == {
        p: e["missing"] for p, e in base.files.items() if p not in changed
    }
    assert set(snapshot.carried) == {"a", "b", "c"}


def report(make_context, project, folder, base_snapshot):
    """``report`` of ``folder/snapshot.json`` against ``base_snapshot``, into
    ``folder/report``; (the comment, what it said)."""
    out = folder / "report"
    code, said = run_verb(
        make_context(),
        "report",
        "--root",
        str(project.root),
        "--snapshot",
        str(folder / "snapshot.json"),
        "--base",
        "main",
        "--output-dir",
        str(out),
        "--base-snapshot",
        str(base_snapshot),
    )
    assert code == 0, said
    return (out / "comment.md").read_text(), said


def test_the_comment_shows_carried_layers_as_carried_never_as_run(
    carry_project, make_context, tmp_path
):
    _snapshot, _said, plan = carried_run(make_context, carry_project, tmp_path)
    comment, said = report(
        make_context, carry_project, tmp_path, plan.parent / "base-snapshot.json"
    )
    main = carry_project.main[:7]
    rows = [line for line in comment.splitlines() if line.startswith(("| a", "| b", "| c"))]
    assert rows[0].startswith("| a | 1 | 0 | 0 | 0 / 0 | ")
    assert rows[1].startswith(f"| b · carried from `{main}`: 1 passed | — | — | — | — | — | — | ")
    assert rows[2].startswith(f"| c · carried from `{main}`: 1 passed | — | — | — | — | — | — | ")
    assert "_Carried: " in comment
    assert f"coverage vs the merge base `{carry_project.main[:10]}`" in comment
    assert "| | Coverage | vs merge base |" in comment
    assert "coverage deltas against the merge base's snapshot" in said


def test_deltas_are_against_the_baseline_when_the_base_is_not_the_merge_bases_own(
    carry_project, make_context, tmp_path
):
    _snapshot, _said, plan = carried_run(make_context, carry_project, tmp_path)
    other = tmp_path / "other.json"
    shutil.copy(plan.parent / "base-snapshot.json", other)
    doc = json.loads(other.read_text())
    other.write_text(json.dumps(doc | {"sha": "e" * 40}))
    comment, said = report(make_context, carry_project, tmp_path, other)
    assert "coverage vs the merge base" not in comment
    assert "| | Coverage | vs baseline |" in comment
    assert "is not the merge base's snapshot" in said


def test_a_baseline_never_records_a_run_that_carried_layers(carry_project, make_context, tmp_path):
    _snapshot, _said, _plan = carried_run(make_context, carry_project, tmp_path)
    code, said = run_verb(
        make_context(),
        "baseline",
        "merge",
        "--root",
        str(carry_project.root),
        "--snapshot",
        str(tmp_path / "snapshot.json"),
        "--baseline",
        str(tmp_path / "baseline.json"),
        "--durations",
        str(tmp_path / "durations.json"),
    )
    assert code == 2
    assert "a baseline records full runs only" in said
    assert not (tmp_path / "baseline.json").exists()


def test_a_carried_layer_of_a_version_1_base_is_refused(make_snapshot):
    base = replace(make_snapshot(tests={"c": {"t": ("passed", 0.1, 0)}}), version=1)
    with pytest.raises(CarryRefused, match="version 1, which keeps no branches per layer"):
        carry_forward(make_snapshot(), base, ["c"], [], 0)


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda doc: doc["layers"].pop("c"), "does not match the configured layers: c"),
        (
            lambda doc: doc["layers"].update(d={"run": False, "rules": []}),
            "does not match the configured layers: d (not a configured layer)",
        ),
        (lambda doc: doc.update(version=7), "is invalid: unsupported version 7"),
    ],
)
def test_a_plan_that_does_not_fit_carries_nothing_and_fails_the_gate(
    carry_project, make_context, tmp_path, edit, reason
):
    plan = make_plan(make_context, carry_project, tmp_path / "plan")
    doc = json.loads(plan.read_text())
    edit(doc)
    plan.write_text(json.dumps(doc))
    output = tmp_path / "snapshot.json"
    said = collect(carry_project.root, "fresh", output, carry_project.feature, "--carry", str(plan))
    snapshot = load_snapshot(output)
    assert reason in snapshot.carry_refused
    assert (snapshot.carried, set(snapshot.tests)) == ({}, {"a"})
    assert "carried data does not match: rerun with full: true: plan " in said
    code, out = gate(make_context, carry_project, output)
    assert code == 1
    assert "FAIL carried data does not match: rerun with full: true (plan " in out


def test_a_base_of_another_commit_than_the_plans_is_refused(carry_project, make_context, tmp_path):
    plan = make_plan(make_context, carry_project, tmp_path / "plan")
    kept = plan.parent / "base-snapshot.json"
    kept.write_text(json.dumps(json.loads(kept.read_text()) | {"sha": "d" * 40}))
    output = tmp_path / "snapshot.json"
    collect(carry_project.root, "fresh", output, carry_project.feature, "--carry", str(plan))
    main = carry_project.main[:7]
    assert load_snapshot(output).carry_refused == (
        f"the base snapshot is of `ddddddd`, the plan's base is `{main}`"
    )


def test_branch_data_on_one_side_only_is_refused(make_snapshot):
    passed = {"t": ("passed", 0.1, 0)}
    base = replace(make_snapshot(tests={"c": passed}), branch_data=False)
    fresh = make_snapshot(files={"x.py": file_entry([1])}, tests={"a": passed})
    with pytest.raises(CarryRefused, match="has branch data, the other not"):
        carry_forward(fresh, base, ["c"], [], 0)


def test_a_file_only_the_base_reports_keeps_what_the_carried_layers_did_in_it(make_snapshot):
    passed = {"t": ("passed", 0.1, 0)}
    base = make_snapshot(
        files={
            "carried.py": file_entry(
                [1, 2, 3, 4],
                missing=[4],
                branches={"2": [2, [4]]},
                layers={"c": [1, 2], "a": [3]},
                layer_branches={"c": {2: []}, "a": {2: [3]}},
            ),
            "theirs.py": file_entry([1], layers={"a": [1]}),
        },
        tests={"c": passed},
    )
    fresh = make_snapshot(
        files={"other.py": file_entry([1], layers={"a": [1]})}, tests={"a": passed}
    )
    combined = carry_forward(fresh, base, ["c"], [], 0)
    assert set(combined.files) == {"carried.py", "other.py"}  # theirs.py: no carried layer ran it
    entry = combined.files["carried.py"]
    # Line 3 and the branch 2->3 were layer a's, which runs now and did not report the file.
    assert (entry["missing"], entry["branches"]) == ([[3, 4]], {"2": [2, [3, 4]]})
    assert (entry["layers"], entry["layer_branches"]) == ({"c": [[1, 2]]}, {"c": {"2": []}})


def test_deltas_against_the_merge_base_leave_out_a_layer_it_has_no_data_of(make_snapshot, settings):
    from support.report_samples import report_of

    passed = {"t": ("passed", 0.1, 0)}
    files = {
        "apps/api/a.py": file_entry([1, 2, 3, 4], missing=[4], layers={"api": [1, 2, 3]}),
        "apps/auth_service/b.py": file_entry([1, 2], layers={"auth": [1, 2]}),
    }
    snapshot = make_snapshot(files=files, tests={"api": passed, "auth": passed})
    compare = make_snapshot(
        files={"apps/api/a.py": file_entry([1, 2, 3, 4], missing=[3, 4], layers={"api": [1, 2]})},
        tests={"api": passed},
        sha="b" * 40,
    )
    report = report_of(snapshot, settings, compare=compare)
    rows = {row.name: row for row in report.layers}
    assert (rows["api"].coverage, rows["api"].baseline_coverage) == (75.0, 50.0)
    assert rows["auth"].baseline_coverage is None  # no auth data at the merge base
    assert (report.lines, report.baseline_lines) == (83.33, 50.0)
    assert report.compared_with.sha == "b" * 40
    # The must-not-drop gate compares with the same commit (no noise estimate yet: no runs).
    (no_drop,) = [gate for gate in report.gates if gate.name == "project line coverage vs base"]
    assert "a drop from 50.00% at the merge base (`bbbbbbbbbb`)" in no_drop.nothing
