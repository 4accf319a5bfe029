"""``plan``: each rule that runs a layer, the fallbacks to every layer, and the job matrix.

Every test changes files of a real git repository (``support/plan_repo.py``: five
layers) and runs ``ci-metrics plan`` against a base snapshot kept for ``main``.
"""

from __future__ import annotations

import json

import pytest

from ci_metrics.errors import GitError
from ci_metrics.inputs.gitdiff import run_git
from support.github_cli import run_verb
from support.plan_repo import LAYERS


def plan(make_context, repo, *extra, env=None, git=None):
    """Run ``ci-metrics plan`` on ``repo`` against ``main``; (exit code, output, plan.json)."""
    overrides = {"git": git} if git else {}
    ctx = make_context(env or {}, **overrides)
    out = repo.root.parent / "plan"
    source = [] if "--github" in extra else ["--snapshots", str(repo.snapshots)]
    code, output = run_verb(
        ctx,
        "plan",
        "--root",
        str(repo.root),
        "--base",
        "main",
        *source,
        "--output-dir",
        str(out),
        *extra,
    )
    document = json.loads((out / "plan.json").read_text()) if code == 0 else None
    return code, output, document


def plan_after(make_context, repo, changes, *extra, **kwargs):
    """Keep ``main``'s snapshot, commit ``changes`` (``{path: text}``), then :func:`plan`."""
    repo.keep_snapshot()
    for path, text in changes.items():
        repo.write(path, text)
    repo.commit()
    return plan(make_context, repo, *extra, **kwargs)


def running(document):
    return {layer for layer, entry in document["layers"].items() if entry["run"]}


def rules(document, layer):
    return document["layers"][layer]["rules"]


class TestOwnedAndTestPaths:
    def test_a_layer_owning_a_changed_file_runs__and_an_end_to_end_owner_too(
        self, make_context, plan_repo
    ):
        code, output, doc = plan_after(
            make_context, plan_repo, {"apps/api/models.py": "MODEL = 2\n"}
        )
        assert code == 0, output
        assert running(doc) == {"api", "e2e"}
        assert rules(doc, "api") == ["owns and ran at the base: `apps/api/models.py`"]
        assert rules(doc, "e2e") == ["owns `apps/api/models.py`"]
        assert "lib: carried from" in output

    def test_an_excluded_sub_path_belongs_to_its_own_layer_only(self, make_context, plan_repo):
        _code, _output, doc = plan_after(
            make_context, plan_repo, {"tools/sub/src/subpkg/core.py": "def core():\n    return 2\n"}
        )
        assert running(doc) == {"sub"}
        assert rules(doc, "sub") == [
            "owns, ran at the base and its tests import: `tools/sub/src/subpkg/core.py`"
        ]

    def test_a_changed_test_runs_its_layer(self, make_context, plan_repo):
        _code, _output, doc = plan_after(
            make_context, plan_repo, {"tests/tool/test_tool.py": "def test_more():\n    assert 1\n"}
        )
        assert running(doc) == {"tool"}
        assert rules(doc, "tool") == ["its tests changed: `tests/tool/test_tool.py`"]


class TestCoverageAndImports:
    def test_a_layer_that_ran_a_changed_file_at_the_base_runs(self, make_context, plan_repo):
        # e2e starts lib/spawned.py as a process: no import says so, its coverage does.
        _code, _output, doc = plan_after(
            make_context, plan_repo, {"lib/spawned.py": "def main():\n    return 1\n"}
        )
        assert running(doc) == {"lib", "e2e"}
        assert rules(doc, "e2e") == ["ran at the base: `lib/spawned.py`"]

    def test_a_layer_whose_tests_import_a_changed_module_through_others_runs(
        self, make_context, plan_repo
    ):
        # tests/api imports apps.api.views -> lib.util -> (from . import deep) lib.deep;
        # api never ran lib/deep.py at the base as far as the snapshot says.
        _code, _output, doc = plan_after(make_context, plan_repo, {"lib/deep.py": "VALUE = 2\n"})
        assert running(doc) == {"lib", "api"}
        assert rules(doc, "api") == ["its tests import `lib/deep.py`"]

    def test_a_package_init_counts_for_every_module_below_it(self, make_context, plan_repo):
        _code, _output, doc = plan_after(
            make_context, plan_repo, {"lib/__init__.py": "READY = True\n"}
        )
        assert running(doc) == {"lib", "api"}
        assert rules(doc, "api") == ["its tests import `lib/__init__.py`"]

    def test_imports_resolve_in_a_src_layout_and_a_tests_folder_that_is_no_package(
        self, make_context, plan_repo
    ):
        # tools/sub/tests/test_core.py: `from support import core`, support: `from subpkg...`
        plan_repo.keep_snapshot(files={})
        plan_repo.write("tools/sub/src/subpkg/core.py", "def core():\n    return 3\n")
        plan_repo.commit()
        _code, _output, doc = plan(make_context, plan_repo)
        assert rules(doc, "sub") == ["owns and its tests import: `tools/sub/src/subpkg/core.py`"]

    def test_a_test_module_that_cannot_be_parsed_runs_its_layer(self, make_context, plan_repo):
        plan_repo.write("tests/lib/test_broken.py", "def test(:\n")
        plan_repo.commit("a broken test")
        plan_repo.keep_snapshot("HEAD")
        plan_repo.write("docs/guide.md", "# Guide, again\n")
        _code, _output, doc = plan(make_context, plan_repo, "--base", "feature")
        assert running(doc) == {"lib"}
        assert rules(doc, "lib") == ["cannot read the imports of `tests/lib/test_broken.py`"]


class TestRenamesAndDeletions:
    def test_a_renamed_file_counts_under_both_names(self, make_context, plan_repo):
        plan_repo.keep_snapshot()
        (plan_repo.root / "lib/spawned.py").rename(plan_repo.root / "tools/spawned.py")
        plan_repo.commit()
        _code, _output, doc = plan(make_context, plan_repo)
        assert {"lib/spawned.py", "tools/spawned.py"} <= set(doc["changed"])
        assert running(doc) == {"lib", "e2e", "tool"}
        assert rules(doc, "tool") == ["owns `tools/spawned.py`"]

    def test_a_deleted_file_runs_its_owner_and_whoever_ran_or_imports_it(
        self, make_context, plan_repo
    ):
        plan_repo.keep_snapshot()
        (plan_repo.root / "lib/deep.py").unlink()
        plan_repo.commit()
        _code, _output, doc = plan(make_context, plan_repo)
        assert running(doc) == {"lib", "api"}
        assert "lib/deep.py" in doc["changed"]

    def test_uncommitted_and_untracked_changes_count(self, make_context, plan_repo):
        plan_repo.keep_snapshot()
        plan_repo.write("tools/new.py", "NEW = 1\n")  # untracked
        plan_repo.write("apps/api/models.py", "MODEL = 3\n")  # not committed
        _code, _output, doc = plan(make_context, plan_repo)
        assert running(doc) == {"tool", "api", "e2e"}


class TestEveryLayer:
    @pytest.mark.parametrize(
        "path",
        ["uv.lock", "pyproject.toml", "conftest.py", ".github/workflows/ci.yml"],
    )
    def test_a_shared_input_runs_every_layer(self, make_context, plan_repo, path):
        plan_repo.keep_snapshot()
        target = plan_repo.root / path
        plan_repo.write(path, (target.read_text() if target.exists() else "") + "# changed\n")
        plan_repo.commit()
        _code, output, doc = plan(make_context, plan_repo)
        assert running(doc) == set(LAYERS)
        assert doc["full"] == f"shared input changed: `{path}`"
        assert f"every layer runs: shared input changed: `{path}`" in output
        assert doc["base"]["sha"] == plan_repo.sha("main")  # still the report's comparison

    def test_a_conftest_runs_the_layers_whose_tests_it_applies_to(self, make_context, plan_repo):
        _code, _output, doc = plan_after(
            make_context,
            plan_repo,
            {"tests/api/conftest.py": "# changed\n", "tests/conftest.py": "# changed\n"},
        )
        # tests/conftest.py applies to every layer's tests but tools/sub/tests: not shared.
        assert doc["full"] == ""
        assert running(doc) == {"api", "lib", "tool", "e2e"}
        assert rules(doc, "api") == [
            "a conftest of its tests changed: `tests/api/conftest.py`, `tests/conftest.py`"
        ]
        assert rules(doc, "lib") == ["a conftest of its tests changed: `tests/conftest.py`"]

    def test_a_conftest_above_every_layers_tests_is_shared(self, make_context, plan_repo):
        # tools/conftest.py is above tools/sub/tests only; conftest.py above every layer's.
        _code, _output, doc = plan_after(
            make_context,
            plan_repo,
            {"tools/conftest.py": "# changed\n", "conftest.py": "# changed\n"},
        )
        assert running(doc) == set(LAYERS)
        assert doc["full"] == "shared input changed: `conftest.py`"

    def test_a_file_no_rule_places_runs_every_layer(self, make_context, plan_repo):
        _code, _output, doc = plan_after(make_context, plan_repo, {"notes.txt": "more notes\n"})
        assert running(doc) == set(LAYERS)
        assert doc["full"] == "cannot place `notes.txt`"

    def test_an_unaffected_file_runs_no_layer_and_the_matrix_is_empty(
        self, make_context, plan_repo, tmp_path
    ):
        plan_repo.keep_snapshot()
        plan_repo.write("docs/guide.md", "# Guide, again\n")
        plan_repo.write("README.md", "# Sample, again\n")
        plan_repo.commit()
        outputs = tmp_path / "output.txt"
        _code, output, doc = plan(make_context, plan_repo, env={"GITHUB_OUTPUT": str(outputs)})
        assert running(doc) == set()
        assert doc["matrix"] == {"include": []}
        assert 'matrix={"include":[]}' in outputs.read_text()
        assert "run=false" in outputs.read_text()
        main = plan_repo.sha("main")[:7]
        assert f"api: carried from `{main}`: 1 passed" in output
        assert "base snapshot: the merge base's own" in output
        assert f"2 files changed since `{main}`" in output

    @pytest.mark.parametrize(
        ("event", "payload", "reason"),
        [
            ("push", {}, "a push runs every layer"),
            ("merge_group", {}, "the merge queue runs every layer"),
            ("schedule", {}, "the nightly run runs every layer"),
            ("workflow_dispatch", {"inputs": {"full": True}}, "workflow_dispatch with full: true"),
            (
                "workflow_dispatch",
                {"inputs": {"full": "true"}},
                "workflow_dispatch with full: true",
            ),
        ],
    )
    def test_pushes_the_merge_queue_the_nightly_and_a_full_dispatch_run_everything(
        self, make_context, plan_repo, tmp_path, event, payload, reason
    ):
        plan_repo.keep_snapshot()
        path = tmp_path / "event.json"
        path.write_text(json.dumps(payload))
        env = {"GITHUB_EVENT_NAME": event, "GITHUB_EVENT_PATH": str(path)}
        _code, _output, doc = plan(make_context, plan_repo, env=env)
        assert running(doc) == set(LAYERS)
        assert doc["full"] == reason
        assert doc["base"] is None

    def test_a_dispatch_without_full_is_planned_and_full_forces_everything(
        self, make_context, plan_repo, tmp_path
    ):
        plan_repo.keep_snapshot()
        path = tmp_path / "event.json"
        path.write_text(json.dumps({"inputs": {"full": "false"}}))
        env = {"GITHUB_EVENT_NAME": "workflow_dispatch", "GITHUB_EVENT_PATH": str(path)}
        assert running(plan(make_context, plan_repo, env=env)[2]) == set()
        _code, _output, doc = plan(make_context, plan_repo, "--full")
        assert (running(doc), doc["full"]) == (set(LAYERS), "--full")

    def test_a_layer_that_failed_at_the_base_runs_whatever_changed(self, make_context, plan_repo):
        failed = {
            "lib": {"tests/lib/test_x.py::t": ["failed", 0.1, 0]},
            **{layer: {"t": ["passed", 0.1, 0]} for layer in LAYERS if layer != "lib"},
        }
        plan_repo.keep_snapshot(tests=failed)
        plan_repo.write("docs/guide.md", "# Guide, again\n")
        _code, _output, doc = plan(make_context, plan_repo)
        assert running(doc) == {"lib"}
        assert rules(doc, "lib") == ["failed at the base (1 failed)"]

    def test_a_layer_without_results_at_the_base_runs(self, make_context, plan_repo):
        tests = {layer: {"t": ["passed", 0.1, 0]} for layer in LAYERS if layer != "api"}
        plan_repo.keep_snapshot(tests=tests)
        _code, _output, doc = plan(make_context, plan_repo)
        assert running(doc) == {"api"}
        assert rules(doc, "api") == ["no results at the base"]


class TestBaseSnapshot:
    def test_the_nearest_first_parent_ancestor_and_how_far_it_is(self, make_context, plan_repo):
        plan_repo.keep_snapshot("main~1")
        _code, output, doc = plan(make_context, plan_repo)
        assert doc["base"] | {"run_id": ""} == {
            "sha": plan_repo.sha("main~1"),
            "run_id": "",
            "merge_base": plan_repo.sha("main"),
            "distance": 1,
            "snapshot": "base-snapshot.json",
        }
        assert "base snapshot: 1 commit before the merge base" in output
        # main~1 -> main changed tools/run.py: the change is counted from the snapshot's commit.
        assert running(doc) == {"tool"}
        saved = json.loads((plan_repo.root.parent / "plan/base-snapshot.json").read_text())
        assert saved["sha"] == plan_repo.sha("main~1")

    def test_none_within_the_bound_runs_everything(self, make_context, plan_repo):
        plan_repo.keep_snapshot("main~1")
        plan_repo.write(
            "pyproject.toml",
            (plan_repo.root / "pyproject.toml")
            .read_text()
            .replace("[tool.ci_metrics.plan]\n", "[tool.ci_metrics.plan]\nmax_distance = 0\n"),
        )
        _code, _output, doc = plan(make_context, plan_repo)
        assert running(doc) == set(LAYERS)
        main = plan_repo.sha("main")[:7]
        assert (
            doc["full"] == f"no base snapshot of the merge base `{main}` in {plan_repo.snapshots}"
        )
        assert not (plan_repo.root.parent / "plan/base-snapshot.json").exists()

    def test_no_snapshot_at_all_runs_everything(self, make_context, plan_repo):
        _code, _output, doc = plan(make_context, plan_repo)
        assert running(doc) == set(LAYERS)
        assert "or its 1 first-parent ancestor in" in doc["full"]
        assert doc["base"] is None

    @pytest.mark.parametrize(
        ("changes", "reason"),
        [
            ({"version": 1}, "the base snapshot is version 1, which cannot be carried from"),
            ({"sha": "f" * 40}, "the base snapshot is of `fffffff`, not of"),
            (
                {"tests": {"api": {"t": ["passed", 0.1, 0]}}, "files": {}},
                "the base snapshot lacks the layer(s) lib, tool, sub, e2e",
            ),
        ],
    )
    def test_an_old_mismatched_or_incomplete_base_runs_everything(
        self, make_context, plan_repo, changes, reason
    ):
        plan_repo.keep_snapshot(**changes)
        plan_repo.write("docs/guide.md", "# Guide, again\n")
        code, output, doc = plan(make_context, plan_repo)
        assert code == 0, output
        assert running(doc) == set(LAYERS)
        assert doc["full"].startswith(reason)

    def test_a_corrupt_base_runs_everything_with_one_line(self, make_context, plan_repo):
        path = plan_repo.keep_snapshot()
        path.write_text('{"schema": "ci-metrics-snapshot", "version": 2, "files": [')
        code, output, doc = plan(make_context, plan_repo)
        assert code == 0
        assert running(doc) == set(LAYERS)
        assert doc["full"].startswith("the base snapshot is unusable: snapshot ")
        assert "is not valid JSON" in doc["full"]
        assert "Traceback" not in output

    def test_a_diff_git_cannot_make_runs_everything(self, make_context, plan_repo):
        plan_repo.keep_snapshot()

        def no_diff(args, cwd):
            if args[0] == "diff":
                raise GitError("git diff failed: fatal: bad object")
            return run_git(args, cwd)

        _code, _output, doc = plan(make_context, plan_repo, git=no_diff)
        assert running(doc) == set(LAYERS)
        assert doc["full"] == "cannot list the changed files: git diff failed: fatal: bad object"

    def test_a_base_ref_that_does_not_exist_runs_everything(self, make_context, plan_repo):
        plan_repo.keep_snapshot()
        _code, _output, doc = plan(make_context, plan_repo, "--base", "nowhere")
        assert running(doc) == set(LAYERS)
        assert doc["full"] == "no merge base: base ref 'nowhere' does not exist"

    def test_without_a_snapshot_source_every_layer_runs(self, make_context, plan_repo, tmp_path):
        ctx = make_context()
        out = tmp_path / "out"
        args = ["plan", "--root", str(plan_repo.root), "--base", "main", "--output-dir", str(out)]
        code, _output = run_verb(ctx, *args)
        doc = json.loads((out / "plan.json").read_text())
        assert code == 0
        assert doc["full"] == "no snapshot source: pass --snapshots DIR or --github"


class TestMatrix:
    def test_one_job_per_layer_python_and_shard_with_the_layers_other_keys(
        self, make_context, plan_repo
    ):
        _code, _output, doc = plan_after(
            make_context, plan_repo, {"lib/util.py": "from . import deep\n"}
        )
        assert doc["matrix"]["include"] == [
            {"layer": "api", "python": "3.11", "shard": 1, "shards": 1, "workers": 0},
            {"layer": "api", "python": "3.13", "shard": 1, "shards": 1, "workers": 0},
            {
                "layer": "lib",
                "python": "3.11",
                "shard": 1,
                "shards": 2,
                "workers": 2,
                "redis": True,
            },
            {
                "layer": "lib",
                "python": "3.11",
                "shard": 2,
                "shards": 2,
                "workers": 2,
                "redis": True,
            },
        ]

    def test_the_step_summary_and_outputs_say_what_runs_and_why(
        self, make_context, plan_repo, tmp_path
    ):
        plan_repo.keep_snapshot()
        plan_repo.write("tools/run.py", "print('changed')\n")
        plan_repo.commit()
        summary, outputs = tmp_path / "summary.md", tmp_path / "output.txt"
        env = {"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(outputs)}
        _code, _output, doc = plan(make_context, plan_repo, env=env)
        lines = summary.read_text().splitlines()
        assert lines[0] == "### Plan"
        assert "- tool: runs: owns and ran at the base: `tools/run.py`" in lines
        assert sum(line.startswith("- ") and "carried from" in line for line in lines) == 4
        written = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
        assert json.loads(written["matrix"]) == doc["matrix"]
        assert (written["run"], written["full"]) == ("true", "false")

    def test_a_layer_to_run_without_python_versions_is_bad_input(self, make_context, plan_repo):
        text = (plan_repo.root / "pyproject.toml").read_text()
        plan_repo.write(
            "pyproject.toml",
            text.replace('tests = ["tests/tool"]\npython = ["3.11"]\n', 'tests = ["tests/tool"]\n'),
        )
        code, output, _doc = plan(make_context, plan_repo, "--full")
        assert code == 2
        assert output.strip().splitlines()[-1] == (
            "error: layers.tool: names no `python` versions, so the plan cannot make its jobs"
        )


class TestPlanFile:
    @pytest.mark.parametrize(
        ("changes", "problem"),
        [
            ({"schema": "other"}, "not a ci-metrics plan"),
            ({"layers": {"api": {"run": True, "rules": []}}}, "'layers' must map each layer"),
            ({"layers": {"api": {"run": "yes", "rules": ["x"]}}}, "'layers' must map each layer"),
            ({"full": None}, "'full' must be a string"),
            ({"base": {"sha": "a", "run_id": "1", "merge_base": "a"}}, "'base' must name"),
            ({"changed": "apps/x.py"}, "'changed' must be a list of paths"),
        ],
    )
    def test_a_malformed_plan_is_refused_with_what_is_wrong(self, changes, problem):
        from ci_metrics.errors import InputError
        from ci_metrics.model.plan import Plan, read_plan

        doc = Plan(rules={"api": ("owns x",)}, base=None).to_json() | changes
        with pytest.raises(InputError) as info:
            read_plan(doc, "plan p.json")
        assert str(info.value).startswith(f"plan p.json is invalid: {problem}")


def test_a_pull_requests_base_branch_is_its_merge_base_ref(make_context, plan_repo):
    from support.project import git

    git(plan_repo.root, "update-ref", "refs/remotes/origin/main", "main")
    plan_repo.keep_snapshot()
    plan_repo.write("apps/api/models.py", "MODEL = 4\n")
    ctx = make_context({"GITHUB_BASE_REF": "main"})
    out = plan_repo.root.parent / "plan"
    argv = ["plan", "--root", str(plan_repo.root), "--snapshots", str(plan_repo.snapshots)]
    code, output = run_verb(ctx, *argv, "--output-dir", str(out))
    doc = json.loads((out / "plan.json").read_text())
    assert code == 0, output
    assert doc["base"]["merge_base"] == plan_repo.sha("main")
    assert running(doc) == {"api", "e2e"}


def test_a_file_deleted_from_the_work_tree_only_counts_as_changed(make_context, plan_repo):
    plan_repo.keep_snapshot()
    (plan_repo.root / "lib/deep.py").unlink()  # not committed
    _code, _output, doc = plan(make_context, plan_repo)
    assert "lib/deep.py" in doc["changed"]
    assert running(doc) == {"lib", "api"}
