"""``post``: create or update the sticky comment; write the comment artifact when the
token is read-only; post a comment artifact bound to the run that made it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ci_metrics.context import (
    REPORT_DIR,
    Context,
    github_client,
    resolve_pull_request,
    settings_for,
)
from ci_metrics.errors import EXIT_OK, InputError, ReadOnlyToken

if TYPE_CHECKING:  # httpx is imported only when the verb talks to GitHub
    from ci_metrics.github.artifact import CommentPayload
    from ci_metrics.github.client import GitHubClient
    from ci_metrics.settings import Settings

NAME = "post"
HELP = "create or update the sticky pull-request comment"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``post``'s flags."""
    parser.add_argument("--comment", type=Path, default=REPORT_DIR / "comment.md")
    parser.add_argument("--pr", type=int, help="pull request number (default: from the event)")
    parser.add_argument(
        "--head-sha", help="head commit (default: from the event, else $GITHUB_SHA)"
    )
    parser.add_argument("--repository", help="owner/name (default: $GITHUB_REPOSITORY)")
    parser.add_argument("--author", help="login of the comment's author (default from settings)")
    parser.add_argument(
        "--artifact",
        type=Path,
        default=REPORT_DIR / "comment-artifact.json",
        help="where to write the comment when the token is read-only",
    )
    parser.add_argument(
        "--artifact-only", action="store_true", help="write the artifact without trying to post"
    )
    parser.add_argument(
        "--from-artifact",
        type=Path,
        metavar="FILE",
        help="post a comment artifact (untrusted input, from a workflow_run); needs the "
        "triggering run's CI_METRICS_RUN_HEAD_SHA, CI_METRICS_RUN_HEAD_BRANCH, "
        "CI_METRICS_RUN_HEAD_REPOSITORY and CI_METRICS_RUN_PULL_REQUESTS in the environment",
    )


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Post or update the sticky comment; fall back to an artifact with a read-only token."""
    from ci_metrics.github.artifact import CommentPayload, write_artifact
    from ci_metrics.github.sticky import fit_body

    settings = settings_for(args)
    marker = settings.comment.marker_html
    if args.from_artifact:
        return _post_artifact(args, ctx, settings)
    body = _read_comment(args.comment)
    if not body.startswith(marker):
        raise InputError(f"comment file {args.comment} does not start with the marker {marker}")
    body, oversize = fit_body(body, marker, settings.comment.max_chars)
    if oversize is not None:
        ctx.say(
            f"{args.comment} is {oversize} characters, over the limit of "
            f"{settings.comment.max_chars}: posting a short notice instead (the full report "
            "is in the job summary)"
        )
    pr = resolve_pull_request(ctx, number=args.pr, head_sha=args.head_sha)
    if pr.number is None:
        raise InputError("no pull request: pass --pr or run on a pull_request event")
    payload = CommentPayload(pr.number, pr.head_sha, body)
    if args.artifact_only:
        write_artifact(args.artifact, payload)
        ctx.say(f"wrote {args.artifact} for the comment workflow")
        return EXIT_OK
    client = github_client(args, ctx, settings)
    try:
        with client.http:
            _post_and_say(args, ctx, settings, client, payload)
    except ReadOnlyToken:
        write_artifact(args.artifact, payload)
        ctx.say(f"read-only token: wrote {args.artifact} for the comment workflow instead")
    return EXIT_OK


def _post_artifact(args: argparse.Namespace, ctx: Context, settings: Settings) -> int:
    """``post --from-artifact``: bind the untrusted artifact to the triggering run, then post."""
    from ci_metrics.github.artifact import load_artifact
    from ci_metrics.github.binding import TriggeringRun, check_binding

    run = TriggeringRun.from_environ(ctx.environ)
    payload = load_artifact(
        args.from_artifact, settings.comment.marker_html, settings.comment.max_chars
    )
    client = github_client(args, ctx, settings)
    with client.http:
        skipped = check_binding(client, payload, run)
        if skipped is not None:
            ctx.say(f"skipped: {skipped}")
            return EXIT_OK
        _post_and_say(args, ctx, settings, client, payload)
    return EXIT_OK


def _post_and_say(
    args: argparse.Namespace,
    ctx: Context,
    settings: Settings,
    client: GitHubClient,
    payload: CommentPayload,
) -> None:
    """Post the sticky comment as the token's identity and log what was done; an
    all-clear body only edits an existing comment.

    The author is ``--author``, else the login GitHub gives for the token
    (``GET /user``), else ``comment.author``: installation tokens such as
    ``GITHUB_TOKEN`` cannot read ``/user``, and act as ``github-actions[bot]``.
    """
    from ci_metrics.github.sticky import describe, is_all_clear, post_sticky

    marker = settings.comment.marker_html
    author = args.author or client.token_login() or settings.comment.author
    ctx.say(f"sticky comment: the one by {author} that starts with {marker}")
    quiet = is_all_clear(payload.body, marker, settings.comment.all_clear_html)
    if quiet:
        ctx.say("all clear: an existing comment is edited down to one line, none is created")
    posted = post_sticky(client, payload.pr_number, payload.body, marker, author, create=not quiet)
    for line in describe(posted, payload.pr_number):
        ctx.say(line)


def _read_comment(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        raise InputError(f"comment file not found: {path} (run `report` first)") from None
