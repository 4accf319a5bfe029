"""Quiet when there is nothing to act on: no new comment, an existing one edited to one line."""

from __future__ import annotations

import pytest

from ci_metrics.cli import run
from support.fake_github import FORK
from support.github_cli import HEAD, MARKER, post, write_comment_artifact
from support.project import write, write_json
from support.snapshots import file_entry, make_snapshot

ALL_CLEAR = "<!-- ci-metrics:all-clear -->"
PYPROJECT = """\
[tool.ci_metrics]
layers = {{ api = ["apps/api"] }}
thresholds = {{ project_lines = 50, project_branches = false, diff = false }}
comment = {{ when = "{when}" }}
"""


def report(make_context, root, tests, when="actionable"):
    write(root, "pyproject.toml", PYPROJECT.format(when=when))
    write(root, "apps/api/a.py", "a = 1\nb = 2\n")  # an owned path must name a file
    files = {"apps/api/a.py": file_entry([1, 2], layers={"api": [1, 2]})}
    snapshot = write_json(root / "snapshot.json", make_snapshot(files, tests).to_json())
    summary = root / "summary.md"
    ctx = make_context({"GITHUB_STEP_SUMMARY": str(summary)})
    code = run(["report", "--root", str(root), "--snapshot", str(snapshot), "--baseline",
                str(root / "none.json"), "--no-diff", "--head-sha", HEAD,
                "--output-dir", str(root / "out")], ctx)  # fmt: skip
    assert code == 0, ctx.stderr.getvalue()
    return (root / "out/comment.md").read_text(encoding="utf-8"), summary.read_text(), ctx


CALM = {"api": {"tests/t.py::test_a": ("passed", 0.1, 0)}}


def test_report__nothing_to_act_on_makes_the_all_clear_comment_and_a_full_summary(
    make_context, tmp_path
):
    comment, summary, ctx = report(make_context, tmp_path, CALM)
    assert comment == (
        f"{MARKER}\n{ALL_CLEAR}\n✅ All clear at `ccccccc`: nothing to act on "
        "(the job summary has the full report).\n"
    )
    assert "nothing to act on: the comment is the all-clear line" in ctx.stderr.getvalue()
    assert "### Layers" in summary
    from ci_metrics.render.comment import render_all_clear
    from support.report_samples import bare_report

    local = render_all_clear(bare_report(), MARKER, ALL_CLEAR)
    assert local.endswith("✅ All clear in the working tree: nothing to act on (the job summary "
                          "has the full report).\n")  # fmt: skip


def test_report__a_failed_test_or_the_always_setting_makes_the_full_comment(make_context, tmp_path):
    failed = {"api": {"tests/t.py::test_a": ("failed", 0.1, 0)}}
    comment, _summary, ctx = report(make_context, tmp_path, failed)
    assert comment.startswith(
        f"{MARKER}\n## ❌ Coverage and test metrics\nAll 4 gates passed · 1 failed test ·"
    )
    assert "### Failed tests" in comment
    assert "to act on: 1 failed test" in ctx.stderr.getvalue()
    comment, _summary, _ctx = report(make_context, tmp_path, CALM, when="always")
    assert "### Layers" in comment
    assert ALL_CLEAR not in comment


@pytest.fixture
def all_clear(tmp_path):
    path = tmp_path / "comment.md"
    path.write_text(f"{MARKER}\n{ALL_CLEAR}\n✅ All clear at `ccccccc`.\n", encoding="utf-8")
    return path


def test_post__all_clear_creates_no_comment(gh_context, fake_github, all_clear, tmp_path):
    code, out = post(gh_context(), tmp_path, "--comment", str(all_clear))
    assert code == 0, out
    assert "nothing to act on and no comment on PR #7 yet: none created" in out
    assert fake_github.own_comments(7, MARKER) == []
    assert not [m for m, *_rest in fake_github.requests if m in ("POST", "PATCH")]


def test_post__all_clear_edits_an_existing_comment_down_to_one_line(
    gh_context, fake_github, all_clear, tmp_path
):
    cid = fake_github.add_comment(7, f"{MARKER}\n## ❌ a failed test\n")
    code, out = post(gh_context(), tmp_path, "--comment", str(all_clear))
    assert code == 0, out
    assert f"updated comment {cid} on PR #7" in out
    assert fake_github.own_comments(7, MARKER)[0]["body"] == all_clear.read_text()


@pytest.mark.parametrize("existing", [False, True])
def test_fork_flow__the_all_clear_artifact_is_posted_the_same_way(
    gh_context, fake_github, all_clear, tmp_path, existing
):
    artifact = write_comment_artifact(gh_context(), tmp_path, all_clear)
    fake_github.add_pull(7, HEAD, head_ref="feature", head_repo=FORK)
    if existing:
        fake_github.add_comment(7, f"{MARKER}\nold report\n")
    code, out = post(gh_context(), tmp_path, "--from-artifact", str(artifact))
    assert code == 0, out
    ours = fake_github.own_comments(7, MARKER)
    assert [c["body"] for c in ours] == ([all_clear.read_text()] if existing else [])
