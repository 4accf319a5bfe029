"""A pull request in which one test fails, one flakes and one is quarantined, end to end:
pytest as a layer runs it, then collect, report and gate against a nightly history."""

from __future__ import annotations

from dataclasses import replace

from ci_metrics.cli import run
from ci_metrics.model.baseline import empty_baseline, merge_snapshot
from ci_metrics.model.outcomes import TestResult
from ci_metrics.model.snapshot import load_snapshot
from ci_metrics.settings import load_settings
from support.project import write, write_json
from support.pytest_runs import build_suite, run_suite

SUITE = "tests/test_suite.py"
FAILING, FLAKY, RACY = f"{SUITE}::test_param[2]", f"{SUITE}::test_flaky", f"{SUITE}::test_racy"
PYPROJECT = """\
[tool.ci_metrics]
layers = { api = ["apps/api"], auth = ["apps/auth_service"] }
thresholds = { project_lines = 50, project_branches = 40, diff = false }
quarantine = { register = "docs/quarantine.md" }
"""


def cli(ctx, root, *argv):
    code = run([argv[0], "--root", str(root), *argv[1:]], ctx)
    return code, ctx.stdout.getvalue(), ctx.stderr.getvalue()


def test_pull_request__a_failure_a_flake_and_a_quarantined_test(project, make_context, tmp_path):
    build_suite(project)
    write(project, "pyproject.toml", PYPROJECT)
    layer = run_suite(project, "api", "-k", "param or flaky or racy or fixed_since")
    assert layer.exit_code == 1, layer.output  # the layer job is red for the real failure only
    snapshot_path = project / "out/snapshot.json"
    code, _out, err = cli(
        make_context(), project, "collect", "--coverage-file",
        str(project / "results/coverage/.coverage"), "--results-dir", str(project / "results"),
        "--output", str(snapshot_path), "--sha", "c" * 40,
    )  # fmt: skip
    assert code == 0, err
    head = load_snapshot(snapshot_path)

    # Five nights of the default branch: the failing test always passed, the flaky one
    # flaked twice, the quarantined one failed every night.
    settings = load_settings(project / "pyproject.toml")
    baseline = empty_baseline(30)
    for night in range(5):
        tests = {name: replace(result, reruns=0, failure=None)
                 for name, result in head.tests["api"].items()}  # fmt: skip
        tests[FAILING] = TestResult("passed", 0.1)
        tests[FLAKY] = TestResult("passed", 0.1, 1 if night in (1, 3) else 0)
        tests[RACY] = TestResult("quarantined", 0.1)
        nightly = replace(head, sha=f"{night}" * 40, run_id=str(night), tests={"api": tests})
        baseline = merge_snapshot(baseline, nightly, settings)
    write_json(project / "base/baseline.json", baseline.to_json())

    event = write_json(
        tmp_path / "event.json", {"pull_request": {"number": 5, "head": {"sha": "c" * 40}}}
    )
    ctx = make_context({"GITHUB_EVENT_PATH": str(event), "GITHUB_REPOSITORY": "octo/repo"})
    inputs = ("--snapshot", str(snapshot_path), "--baseline", str(project / "base/baseline.json"),
              "--no-diff")  # fmt: skip
    code, out, err = cli(ctx, project, "report", *inputs, "--output-dir",
                         str(project / "out/report"), "--annotations")  # fmt: skip
    assert code == 0, err
    comment = (project / "out/report/comment.md").read_text(encoding="utf-8")
    blob = "https://github.com/octo/repo/blob/" + "c" * 40
    assert (
        f"- ❌ `{FAILING}` (api): passed in 5 of 5 nightly runs: **new with this change**<br>"
        f"`AssertionError: assert 2 == 1` at [{SUITE}:35]({blob}/{SUITE}#L35)"
    ) in comment
    assert (
        f"- 🔁 `{FLAKY}` (api): flaked in 2 of 5 nightly runs: **probably flaky**<br>first "
        "failure: `AssertionError: first attempt loses the race` at "
        f"[{SUITE}:18]({blob}/{SUITE}#L18)"
    ) in comment
    quarantined = comment.split("### Quarantined", 1)[1]
    assert (
        f"- 🚧 `{RACY}` (api; @team, #12, review 2099-01-01): failed in 5 of 5 nightly runs: "
        f"**failing on main too**<br>`AssertionError: assert 2 == 1` at [{SUITE}:22]"
    ) in quarantined
    assert "| api | 3 | 1 (+1 quarantined) |" in comment  # test_fixed_since's pass counts
    assert (
        f"::error file={SUITE},line=35,title=tests/test_suite.py%3A%3Atest_param[2] failed" in out
    )
    assert out.count("::error ") == 1  # the flake and the quarantined test are no errors

    code, gates, _err = cli(make_context(), project, "gate", *inputs)
    assert code == 0, gates  # the flake is known, the quarantined test gates nothing
    assert "ok   new flaky tests: none" in gates
