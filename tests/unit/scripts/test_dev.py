"""dev.py: the Quickstart's entry point (the parts that run without tox)."""

import json

import pytest

import dev


def write_junit(results, layer, tests, failures=0, errors=0, skipped=0, name="junit-py3.11.xml"):
    path = results / layer / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'<testsuites><testsuite name="pytest" tests="{tests}" failures="{failures}" '
        f'errors="{errors}" skipped="{skipped}"/></testsuites>'
    )


def test_summarize__sums_the_registry_layers_junit_files(tmp_path):
    write_junit(tmp_path, "api", tests=10, failures=1, skipped=2)
    write_junit(tmp_path, "kernel", tests=3)
    write_junit(tmp_path, "integration", tests=5, errors=1)
    write_junit(tmp_path, "unit", tests=99)  # not a CI layer: left out
    assert dev.summarize(tmp_path) == (
        "layers (api, kernel, integration):\ntests: 14 passed, 2 failed, 2 skipped"
    )


def test_summarize__adds_up_every_python_version_and_shard_of_a_layer(tmp_path):
    write_junit(tmp_path, "api", tests=10)
    write_junit(tmp_path, "api", tests=10, failures=1, name="junit-py3.13.xml")
    write_junit(tmp_path, "api", tests=4, name="junit-py3.13-2.xml")
    assert dev.summarize(tmp_path) == "layers (api):\ntests: 23 passed, 1 failed, 0 skipped"


def test_requirements__the_pinned_tools_without_comments(tmp_path):
    pins = tmp_path / "tools.txt"
    pins.write_text("# pinned\ntox==1.0  # the runner\n\nuv==2.0\n")
    assert dev.requirements(pins) == ["tox==1.0", "uv==2.0"]


def test_summarize__takes_the_layers_it_is_given(tmp_path):
    write_junit(tmp_path, "e2e", tests=2)
    assert dev.summarize(tmp_path, ["e2e"]) == "layers (e2e):\ntests: 2 passed, 0 failed, 0 skipped"


def test_summarize__none_without_results(tmp_path):
    assert dev.summarize(tmp_path) is None


def test_main__unknown_job_prints_usage_and_exits_2(capsys):
    assert dev.main(["deploy"]) == 2
    assert "python3 dev.py test" in capsys.readouterr().err
    assert dev.main([]) == 2


def test_ci_options__changed_and_a_base_and_nothing_else():
    assert dev.ci_options([]) == (False, None)
    assert dev.ci_options(["--changed"]) == (True, None)
    assert dev.ci_options(["--changed", "--base", "HEAD~3"]) == (True, "HEAD~3")
    assert dev.ci_options(["--changed", "--base=origin/main"]) == (True, "origin/main")
    assert dev.ci_options(["--base", "main"]) is None  # a base without --changed
    assert dev.ci_options(["--changed", "--base"]) is None
    assert dev.ci_options(["--fast"]) is None


def test_main__an_unknown_ci_option_prints_usage_and_exits_2(capsys):
    assert dev.main(["ci", "--changd"]) == 2
    assert "--changed [--base REF]" in capsys.readouterr().err


def write_snapshot(results, doc):
    path = results / "ci_metrics" / "snapshot.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(doc))


def test_keep_snapshot__keeps_a_clean_runs_snapshot_under_its_commit(tmp_path):
    write_snapshot(tmp_path, {"schema": "ci-metrics-snapshot", "sha": "", "files": {}})
    kept = dev.keep_snapshot(tmp_path, "abc123")
    assert kept == tmp_path / "snapshots" / "abc123.json"
    assert json.loads(kept.read_text()) == {
        "schema": "ci-metrics-snapshot",
        "sha": "abc123",
        "files": {},
    }
    assert [p.name for p in kept.parent.iterdir()] == ["abc123.json"]  # no temporary left


def test_keep_snapshot__nothing_for_a_dirty_tree_or_without_a_snapshot(tmp_path):
    assert dev.keep_snapshot(tmp_path, "abc123") is None
    write_snapshot(tmp_path, {"sha": ""})
    assert dev.keep_snapshot(tmp_path, None) is None
    assert not (tmp_path / "snapshots").exists()


def test_read_plan__the_plan_or_none(tmp_path):
    path = tmp_path / "plan.json"
    assert dev.read_plan(path) is None
    path.write_text("{")
    assert dev.read_plan(path) is None
    path.write_text(json.dumps({"full": "", "layers": []}))
    assert dev.read_plan(path) is None
    plan = {"full": "", "layers": {"api": {"run": True, "rules": ["owns x"]}}}
    path.write_text(json.dumps(plan))
    assert dev.read_plan(path) == plan


def test_planned__runs_what_the_plan_runs_and_what_it_does_not_name():
    plan = {
        "full": "",
        "layers": {"api": {"run": True}, "auth": {"run": False}, "kernel": {"run": False}},
    }
    assert dev.planned(plan, ["api", "auth", "kernel", "new"]) == (
        ["api", "new"],
        ["auth", "kernel"],
    )


def test_clear_layer_outputs__leaves_no_earlier_layer_data_to_be_read_as_this_runs(tmp_path):
    write_junit(tmp_path, "auth", tests=3)
    (tmp_path / "coverage" / "layers").mkdir(parents=True)
    (tmp_path / "coverage" / "layers" / ".coverage.auth-py3.11").write_text("")
    (tmp_path / "coverage" / ".coverage").write_text("")
    (tmp_path / "snapshots").mkdir()
    dev.clear_layer_outputs(tmp_path, ["api", "auth"])
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["coverage", "snapshots"]


def test_carried_line__names_the_layers_that_did_not_run_and_their_commit():
    plan = {"full": "", "layers": {}, "base": {"sha": "abc1234def"}}
    assert dev.carried_line(plan, ["auth", "kernel"]) == (
        "carried (not run): auth, kernel from `abc1234`"
    )


@pytest.mark.parametrize(("head", "said"), [(None, dev.NOT_KEPT), ("abc123", "kept the snapshot")])
def test_main__a_full_ci_says_whether_it_kept_its_snapshot(
    monkeypatch, tmp_path, capsys, head, said
):
    # tox and git are processes: the run and the work tree's state stand in for them.
    ran = []
    monkeypatch.setattr(dev, "ensure_tools", lambda: None)
    monkeypatch.setattr(dev, "tox", lambda args: ran.append(args) or 0)
    monkeypatch.setattr(dev, "clean_head", lambda: head)
    monkeypatch.setattr(dev, "RESULTS", tmp_path)
    monkeypatch.setattr(dev, "PLAN_DIR", tmp_path / "plan")
    write_snapshot(tmp_path, {"sha": ""})
    assert dev.main(["ci"]) == 0
    assert ran == [["-m", "ci", "-p", "auto"]]
    assert said in capsys.readouterr().out
    assert (tmp_path / "snapshots" / "abc123.json").is_file() is (head is not None)
