"""No green without the data behind it: a careless setup fails with the reason.

Each case is a repository built in the test (git history, real coverage.py data,
see ``support.foreign_repo``) with one mistake a new user makes: an owned path
that names nothing, a layer whose tests never ran, data of another checkout, a
base that is HEAD itself.
"""

from __future__ import annotations

import json

import pytest

from ci_metrics.cli import run
from support.foreign_repo import build_foreign_repo
from support.project import git, write

TWO_LAYERS = 'layers = { unit = ["src/pkg"], e2e = [] }\n'


@pytest.fixture(autouse=True)
def _strangers_environment(monkeypatch):
    """No COVERAGE_* variables: the tox env's own would point coverage.py elsewhere."""
    for name in ("COVERAGE_FILE", "COVERAGE_RCFILE", "COVERAGE_LAYER", "COVERAGE_PROCESS_START"):
        monkeypatch.delenv(name, raising=False)


def _run(make_context, *args, env=None):
    ctx = make_context(env or {})
    code = run(list(args), ctx)
    return code, ctx.stdout.getvalue(), ctx.stderr.getvalue()


def _collect(make_context):
    return _run(make_context, "collect", "--output", "snapshot.json")


def _gate(make_context, *args, env=None):
    return _run(make_context, "gate", "--snapshot", "snapshot.json", *args, env=env)


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        (
            'layers = { unit = ["src/pkgg"], e2e = [] }\n',
            "layers.unit[0]: matches no file of the work tree (did you mean src/pkg?)",
        ),
        (
            '[tool.ci_metrics.layers.unit]\nowns = ["src", "!src/pkg/typingz"]\n'
            "[tool.ci_metrics.layers.e2e]\nowns = []\n",
            "layers.unit.owns[1]: matches no file of the work tree (did you mean src/pkg/typings?)",
        ),
    ],
    ids=["owned-path", "exclusion"],
)
def test_an_owned_path_that_names_nothing_is_an_error_with_a_did_you_mean(
    tmp_path, monkeypatch, make_context, settings, problem
):
    repo = build_foreign_repo(tmp_path / "repo", settings=settings)
    monkeypatch.chdir(repo.project)
    code, _out, err = _collect(make_context)
    assert code == 2
    last = err.strip().splitlines()[-1]
    assert last == f"error: invalid [tool.ci_metrics] in pyproject.toml: {problem}"
    assert not (repo.project / "snapshot.json").exists()


def test_an_owned_path_without_a_close_match_says_what_paths_are_relative_to(
    tmp_path, monkeypatch, make_context
):
    repo = build_foreign_repo(
        tmp_path / "repo", subdir="python", settings='layers = { unit = ["lib/zzz"] }\n'
    )
    monkeypatch.chdir(repo.project)
    code, _out, err = _collect(make_context)
    assert code == 2
    assert (
        f"layers.unit[0]: matches no file of the work tree: owned paths are relative to "
        f"{repo.project.resolve()}" in err
    )


def test_a_layer_without_data_fails_the_gate_unless_optional(tmp_path, monkeypatch, make_context):
    repo = build_foreign_repo(
        tmp_path / "repo",
        settings=(
            # Every other gate off: the layer data gate stays, whatever the thresholds.
            "thresholds = { project_lines = false, project_branches = false, diff = false, "
            "project_no_drop = false, new_flaky_tests = false }\n"
            '[tool.ci_metrics.layers.unit]\nowns = ["src/pkg"]\n'
            "[tool.ci_metrics.layers.e2e]\nowns = []\n"
            "[tool.ci_metrics.layers.smoke]\nowns = []\n"
        ),
    )
    monkeypatch.chdir(repo.project)
    assert _collect(make_context)[0] == 0
    code, out, _err = _gate(make_context, "--no-diff")
    assert code == 1
    assert out.splitlines() == [
        "FAIL layer data: layer smoke has no data: did its tests run? (a layer that runs "
        "only sometimes can be declared `optional = true`)"
    ]
    pyproject = repo.project / "pyproject.toml"
    smoke = "[tool.ci_metrics.layers.smoke]\n"
    text = pyproject.read_text(encoding="utf-8").replace(smoke, smoke + "optional = true\n")
    pyproject.write_text(text, encoding="utf-8")
    code, out, _err = _gate(make_context, "--no-diff")
    assert code == 0, out
    assert out.splitlines() == ["ok   layer data: every layer has coverage data (3)"]


def test_a_layer_with_results_but_no_coverage_says_which_context_is_missing(
    tmp_path, monkeypatch, make_context
):
    repo = build_foreign_repo(
        tmp_path / "repo", settings='layers = { unit = ["src/pkg"], e2e = [], smoke = [] }\n'
    )
    monkeypatch.chdir(repo.project)
    write(
        repo.project,
        "results/smoke/junit.xml",
        '<testsuites><testsuite><testcase classname="t" name="test_up" time="0.1"/>'
        "</testsuite></testsuites>",
    )
    assert _collect(make_context)[0] == 0
    code, out, _err = _gate(make_context, "--no-diff")
    assert code == 1
    assert (
        "FAIL layer data: layer smoke has test results but no coverage data: did its tests "
        "run under coverage with the `smoke` context?" in out
    )


def test_measured_files_of_another_checkout_are_named_and_fail_collect(
    tmp_path, monkeypatch, make_context
):
    other = build_foreign_repo(tmp_path / "other")
    repo = build_foreign_repo(tmp_path / "repo")
    # The data of both checkouts, combined by mistake.
    (repo.project / ".coverage.other").write_bytes((other.project / ".coverage").read_bytes())
    monkeypatch.chdir(repo.project)
    git(repo.project, "commit", "-q", "--allow-empty", "-m", "noop")
    from support.foreign_repo import _coverage

    _coverage(repo, "combine", "--append", ".coverage.other")
    code, _out, err = _collect(make_context)
    assert code == 2
    last = err.strip().splitlines()[-1]
    assert "measured file(s) outside the git work tree" in last
    assert f"{other.project}/src/pkg/core.py" in last


@pytest.mark.parametrize("for_pr", [True, False], ids=["pull-request", "local"])
def test_a_base_that_is_head_says_the_diff_is_empty_and_fails_a_pull_request(
    tmp_path, monkeypatch, make_context, for_pr
):
    repo = build_foreign_repo(tmp_path / "repo")
    monkeypatch.chdir(repo.project)
    # A shallow clone of the pull request's branch: origin/HEAD is the branch itself.
    git(repo.worktree, "update-ref", "refs/remotes/origin/HEAD", "HEAD")
    assert _collect(make_context)[0] == 0
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 3}}), encoding="utf-8")
    env = {"GITHUB_EVENT_PATH": str(event)} if for_pr else {}
    code, out, err = _gate(make_context, env=env)
    empty = "the diff is empty: the base is HEAD"
    if for_pr:
        assert code == 1
        assert f"FAIL diff coverage: no diff: {empty}" in out
    else:
        assert f"note: {empty}" in err
        assert "ok   diff coverage: nothing to measure" in out
