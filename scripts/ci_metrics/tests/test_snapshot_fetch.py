"""``plan --github``: the base snapshot from the default branch's runs, as GitHub lists them.

Runs are looked up by ``head_sha`` for the merge base, then its first-parent
ancestors; only push and merge-queue runs count; expired artifacts are passed
over; runs and artifacts are read page by page; a corrupt artifact or a failing
GitHub makes the plan run every layer, and nothing is kept.
"""

from __future__ import annotations

import io
import json
import zipfile

from support.github_cli import TOKEN, run_verb
from support.plan_repo import LAYERS, base_snapshot

ARTIFACT = "ci-metrics-snapshot"


def snapshot_zip(sha: str, text: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("snapshot.json", text or json.dumps(base_snapshot(sha).to_json()))
    return buffer.getvalue()


def plan_github(gh_context, repo, **env):
    out = repo.root.parent / "plan"
    ctx = gh_context(GITHUB_EVENT_PATH=None, **env)
    args = ["--root", str(repo.root), "--base", "main", "--github", "--output-dir", str(out)]
    code, output = run_verb(ctx, "plan", *args)
    assert code == 0, output
    return output, json.loads((out / "plan.json").read_text()), out / "base-snapshot.json"


def runs_queried(fake_github):
    return [q for _m, p, q, _a in fake_github.requests if p.endswith("/ci.yml/runs")]


def test_the_merge_bases_own_snapshot_is_fetched_and_kept(gh_context, fake_github, plan_repo):
    main = plan_repo.sha("main")
    fake_github.add_run(9, event="push", head_sha=main)
    fake_github.add_artifact(9, ARTIFACT, snapshot_zip(main))
    plan_repo.write("docs/guide.md", "# again\n")
    output, doc, kept = plan_github(gh_context, plan_repo)
    assert doc["base"] | {"snapshot": ""} == {
        "sha": main,
        "run_id": "9",
        "merge_base": main,
        "distance": 0,
        "snapshot": "",
    }
    assert json.loads(kept.read_text())["sha"] == main
    assert {layer for layer, e in doc["layers"].items() if e["run"]} == set()
    assert f"head_sha={main}" in runs_queried(fake_github)[0]
    assert "base snapshot: the merge base's own (`" + main[:7] + "`, run 9)" in output


def test_the_nearest_ancestor_with_one_is_used_and_its_distance_said(
    gh_context, fake_github, plan_repo
):
    older = plan_repo.sha("main~1")
    fake_github.add_run(8, event="merge_group", head_sha=older)
    fake_github.add_artifact(8, ARTIFACT, snapshot_zip(older))
    output, doc, _kept = plan_github(gh_context, plan_repo)
    assert (doc["base"]["sha"], doc["base"]["distance"]) == (older, 1)
    assert "base snapshot: 1 commit before the merge base" in output
    assert len(runs_queried(fake_github)) == 2  # the merge base first, then its parent


def test_expired_artifacts_and_pull_request_runs_are_passed_over(
    gh_context, fake_github, plan_repo
):
    main = plan_repo.sha("main")
    fake_github.add_run(12, event="pull_request", head_sha=main)
    fake_github.add_artifact(12, ARTIFACT, snapshot_zip(main))
    fake_github.add_run(11, event="push", head_sha=main)
    fake_github.add_artifact(11, ARTIFACT, snapshot_zip(main), expired=True)
    fake_github.add_run(10, event="push", head_sha=main)
    fake_github.add_artifact(10, ARTIFACT, snapshot_zip(main))
    _output, doc, _kept = plan_github(gh_context, plan_repo)
    assert doc["base"]["run_id"] == "10"


def test_runs_and_artifacts_are_read_page_by_page(gh_context, fake_github, plan_repo):
    main = plan_repo.sha("main")
    fake_github.per_page_cap = 2
    for run_id in range(20, 15, -1):
        fake_github.add_run(run_id, event="push", head_sha=main)
    for _ in range(3):
        fake_github.add_artifact(16, ARTIFACT, snapshot_zip(main), expired=True)
    fake_github.add_artifact(16, ARTIFACT, snapshot_zip(main))
    _output, doc, _kept = plan_github(gh_context, plan_repo)
    assert doc["base"]["run_id"] == "16"
    assert sum("page=3" in q for q in runs_queried(fake_github)) == 1
    artifact_pages = [q for _m, p, q, _a in fake_github.requests if p.endswith("/16/artifacts")]
    assert len(artifact_pages) == 2


def test_no_runs_at_all_runs_every_layer(gh_context, fake_github, plan_repo):
    _output, doc, kept = plan_github(gh_context, plan_repo)
    main = plan_repo.sha("main")[:7]
    assert doc["full"] == (
        f"no base snapshot of the merge base `{main}` or its 1 first-parent ancestor on GitHub"
    )
    assert {layer for layer, e in doc["layers"].items() if e["run"]} == set(LAYERS)
    assert not kept.exists()


def test_a_corrupt_artifact_runs_every_layer_and_keeps_nothing(gh_context, fake_github, plan_repo):
    main = plan_repo.sha("main")
    fake_github.add_run(9, event="push", head_sha=main)
    fake_github.add_artifact(9, ARTIFACT, snapshot_zip(main, text='{"schema": "other"}'))
    _output, doc, kept = plan_github(gh_context, plan_repo)
    assert doc["full"] == (
        "the base snapshot is unusable: the snapshot artifact of run 9: snapshot.json "
        "is invalid: not a snapshot"
    )
    assert not kept.exists()


def test_a_failing_github_runs_every_layer_and_never_shows_the_token(
    gh_context, fake_github, plan_repo
):
    fake_github.fail_next("GET", 401, message="Bad credentials", path="/runs$")
    output, doc, _kept = plan_github(gh_context, plan_repo)
    assert doc["full"].startswith("cannot fetch the base snapshot: GET ")
    assert "401: Bad credentials" in doc["full"]
    assert TOKEN not in output


def test_an_archive_without_a_snapshot_or_too_large_runs_every_layer(
    gh_context, fake_github, plan_repo
):
    main = plan_repo.sha("main")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("other.json", "{}")
    fake_github.add_run(9, event="push", head_sha=main)
    fake_github.add_artifact(9, ARTIFACT, buffer.getvalue())
    _output, doc, _kept = plan_github(gh_context, plan_repo)
    assert doc["full"] == (
        "the base snapshot is unusable: the snapshot artifact of run 9: no snapshot.json in it"
    )
    fake_github.artifacts[9][0]["size_in_bytes"] = 10**12
    _output, doc, _kept = plan_github(gh_context, plan_repo)
    assert doc["full"].endswith("the archive is too large (1000000000000 bytes)")
