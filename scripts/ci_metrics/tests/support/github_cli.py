"""Running the GitHub-facing verbs against the fake GitHub: constants and helpers."""

from __future__ import annotations

from ci_metrics.cli import run
from support.fake_github import FORK

TOKEN = "ghs_s3cr3tT0ken"
MARKER = "<!-- ci-metrics:sticky -->"
HEAD = "c" * 40
# What pr-comment.yml passes from the workflow_run event of PR 7's run (from a fork).
RUN_ENV = {
    "CI_METRICS_RUN_HEAD_SHA": HEAD,
    "CI_METRICS_RUN_HEAD_BRANCH": "feature",
    "CI_METRICS_RUN_HEAD_REPOSITORY": FORK,
    "CI_METRICS_RUN_PULL_REQUESTS": "[]",
}


def run_verb(ctx, *argv):
    """Run ``ci-metrics <argv>``; returns (exit code, stdout + stderr), checked for the token."""
    code = run(list(argv), ctx)
    output = ctx.stdout.getvalue() + ctx.stderr.getvalue()
    assert TOKEN not in output
    return code, output


def post(ctx, root, *args):
    """``ci-metrics post --root <root> <args>``."""
    return run_verb(ctx, "post", "--root", str(root), *args)


def write_comment_artifact(ctx, root, comment_file):
    """What a fork PR's run uploads: ``post --artifact-only``; returns the file."""
    artifact = root / "artifact.json"
    args = ["--comment", str(comment_file), "--artifact", str(artifact), "--artifact-only"]
    code, out = post(ctx, root, *args)
    assert code == 0, out
    return artifact
