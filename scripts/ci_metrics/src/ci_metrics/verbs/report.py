"""``report``: the comment, the step summary, line annotations and key figures.

It reads the pipeline's inputs (snapshot, baseline, register, diff, pull
request) and builds the report; ``gate`` builds the same report from the same
flags (:func:`add_report_inputs`, :func:`build`) and applies its gates.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ci_metrics.context import (
    BASE_SNAPSHOT,
    BASELINE,
    REPORT_DIR,
    SNAPSHOT,
    Context,
    append_to,
    locate,
    resolve_pull_request,
    settings_for,
)
from ci_metrics.errors import EXIT_OK, GitError

if TYPE_CHECKING:
    from ci_metrics.inputs.gitdiff import Diff
    from ci_metrics.model.report import Report
    from ci_metrics.model.snapshot import Snapshot
    from ci_metrics.settings import Settings

NAME = "report"
HELP = "render the comment, step summary and annotations"


def add_report_inputs(parser: argparse.ArgumentParser) -> None:
    """The flags ``report`` and ``gate`` share: what the report is built from."""
    parser.add_argument("--snapshot", type=Path, default=SNAPSHOT, help=f"default: {SNAPSHOT}")
    parser.add_argument(
        "--baseline",
        type=Path,
        default=BASELINE,
        help=f"baseline history; missing means no baseline (default: {BASELINE})",
    )
    parser.add_argument(
        "--base-snapshot",
        type=Path,
        default=BASE_SNAPSHOT,
        help="the base snapshot ci-metrics plan found: when it is the merge base's own, "
        f"coverage deltas are against it (default: {BASE_SNAPSHOT}; missing means none)",
    )
    diff = parser.add_mutually_exclusive_group()
    diff.add_argument(
        "--base",
        help="git ref to diff against (default: origin/$GITHUB_BASE_REF, "
        "else origin/HEAD, origin/main, main)",
    )
    diff.add_argument("--diff-file", type=Path, help="read a saved unified diff instead of git")
    diff.add_argument("--no-diff", action="store_true", help="skip diff coverage")
    parser.add_argument("--register", type=Path, help="coverage exception register (markdown)")
    parser.add_argument(
        "--pr", type=int, help="pull request number (default: from GITHUB_EVENT_PATH)"
    )
    parser.add_argument(
        "--head-sha",
        help="head commit (default: from the event, else $GITHUB_SHA, else the snapshot's)",
    )
    for flag in ("lines", "branches", "diff"):
        parser.add_argument(
            f"--fail-under-{flag}",
            type=float,
            metavar="PERCENT",
            help=f"override the {flag} threshold",
        )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``report``'s flags."""
    add_report_inputs(parser)
    parser.add_argument(
        "--output-dir", type=Path, default=REPORT_DIR, help=f"default: {REPORT_DIR}"
    )
    parser.add_argument(
        "--annotations",
        action="store_true",
        help="print line annotations on stdout: ::error for each failed test, "
        "::warning/::notice for uncovered changed lines",
    )


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Render the comment, the step summary, annotations and key figures."""
    from ci_metrics.inputs.fileio import write_json_atomic, write_text_atomic
    from ci_metrics.render.annotations import line_annotations
    from ci_metrics.render.comment import render_all_clear, render_comment, render_summary
    from ci_metrics.render.outputs import github_output

    report, settings = build(args, ctx)
    out: Path = args.output_dir
    reasons = report.actionable()
    if settings.comment.when == "actionable" and not reasons:
        comment = render_all_clear(
            report, settings.comment.marker_html, settings.comment.all_clear_html
        )
        ctx.say("nothing to act on: the comment is the all-clear line")
    else:
        comment = render_comment(report, settings.comment.marker_html, settings.comment.max_chars)
        if reasons:
            ctx.say(f"to act on: {'; '.join(reasons)}")
    summary = render_summary(report)
    write_text_atomic(out / "comment.md", comment)
    write_text_atomic(out / "summary.md", summary)
    figures = report.key_figures()
    write_json_atomic(out / "figures.json", figures)
    if args.annotations:
        for line in line_annotations(report, settings.comment.max_annotations):
            print(line, file=ctx.stdout)
    append_to(ctx, "GITHUB_STEP_SUMMARY", summary)
    append_to(ctx, "GITHUB_OUTPUT", github_output(figures))
    ctx.say(f"wrote {out / 'comment.md'} ({len(comment)} characters) and {out / 'summary.md'}")
    return EXIT_OK


def build(args: argparse.Namespace, ctx: Context) -> tuple[Report, Settings]:
    """The report of the snapshot against the baseline, the diff and the register."""
    from dataclasses import replace

    from ci_metrics.inputs.quarantine import load_quarantine
    from ci_metrics.inputs.register import load_register
    from ci_metrics.model.analysis import build_report
    from ci_metrics.model.baseline import load_baseline
    from ci_metrics.model.snapshot import load_snapshot

    workspace = locate(args.root, ctx)
    settings = settings_for(args, workspace, ctx)
    snapshot = load_snapshot(args.snapshot)
    baseline = load_baseline(args.baseline) if args.baseline.is_file() else None
    if baseline is None:
        ctx.say(f"no baseline at {args.baseline}: reporting without comparison")
    prefix = workspace.prefix_of(args.root)
    register = [
        replace(entry, prefix=prefix + entry.prefix)
        for entry in load_register(args.root / settings.exception_register, args.root)
    ]
    pr = resolve_pull_request(ctx, number=args.pr, head_sha=args.head_sha, measured=snapshot.sha)
    for_pr = pr.number is not None or bool(ctx.environ.get("GITHUB_BASE_REF"))
    diff, no_diff = _diff(args, ctx, for_pr=for_pr)
    compare = _merge_base_snapshot(args.base_snapshot, diff, ctx)
    report = build_report(
        snapshot=snapshot,
        baseline=baseline,
        diff=diff,
        settings=settings,
        register=register,
        pr=pr,
        now=ctx.now(),
        no_diff=no_diff,
        diff_skipped=bool(args.no_diff),
        compare=compare,
        quarantine=load_quarantine(args.root / settings.quarantine.register),
    )
    return report, settings


def _merge_base_snapshot(path: Path, diff: Diff | None, ctx: Context) -> Snapshot | None:
    """The snapshot at ``path`` if it is the merge base's own, else ``None`` (and why)."""
    from ci_metrics.model.snapshot import load_snapshot

    if not path.is_file() or diff is None or not diff.merge_base:
        return None  # without a diff computed here, the merge base is not known
    snapshot = load_snapshot(path)
    if snapshot.sha != diff.merge_base:
        ctx.say(
            f"{path} is not the merge base's snapshot: coverage deltas are against the baseline"
        )
        return None
    ctx.say(f"coverage deltas against the merge base's snapshot ({snapshot.sha[:10]})")
    return snapshot


def _diff(args: argparse.Namespace, ctx: Context, *, for_pr: bool) -> tuple[Diff | None, str]:
    """The pull request's changed lines, or ``None`` and why there are none.

    A base whose merge base with HEAD is HEAD itself (a shallow clone whose
    ``origin/HEAD`` is the branch checked out, say) leaves nothing to compare: for a
    pull request that is no diff, and the diff gate fails; elsewhere it is said.
    """
    from ci_metrics.inputs.gitdiff import base_is_head, diff_from_file, diff_from_git, resolve_base

    if args.no_diff:
        return None, "skipped with --no-diff"
    if args.diff_file:
        return diff_from_file(args.diff_file), ""
    requested = args.base
    if not requested and ctx.environ.get("GITHUB_BASE_REF"):
        requested = f"origin/{ctx.environ['GITHUB_BASE_REF']}"
    try:
        base = resolve_base(args.root, requested, ctx.git)
    except GitError as exc:
        if requested:
            raise
        ctx.say(f"{exc}; reporting without diff coverage")
        return None, f"{exc}, or --no-diff to skip the diff gate"
    ctx.say(f"computing the diff against the merge base with {base} ...")
    at_head = base_is_head(args.root, base, ctx.git)
    empty = (
        f"the diff is empty: the base is HEAD ({base} is the commit checked out or one "
        "after it; pass --base with the pull request's base branch, fetched with "
        "its history: actions/checkout with `fetch-depth: 0`)"
    )
    if at_head and for_pr:
        ctx.say(f"{empty}: the pull request's diff gate fails")
        return None, empty
    diff = diff_from_git(args.root, base, ctx.git)
    if at_head and not diff.changed:
        ctx.say(f"note: {empty}")
    return diff, ""
