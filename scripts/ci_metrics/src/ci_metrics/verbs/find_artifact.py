"""``find-artifact``: say in ``GITHUB_OUTPUT`` whether a workflow run has an artifact."""

from __future__ import annotations

import argparse

from ci_metrics.context import Context, append_to, github_client, settings_for
from ci_metrics.errors import EXIT_OK

NAME = "find-artifact"
HELP = "say whether a workflow run has an artifact (found=true|false in GITHUB_OUTPUT)"


def _positive_int(value: str) -> int:
    """argparse type for a positive integer."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"not a positive integer: {value!r}")
    return number


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``find-artifact``'s flags."""
    parser.add_argument("--run-id", type=_positive_int, required=True, help="workflow run id")
    parser.add_argument("--name", required=True, help="artifact name")
    parser.add_argument("--repository", help="owner/name (default: $GITHUB_REPOSITORY)")


def run(args: argparse.Namespace, ctx: Context) -> int:
    """``found=true`` when the run has an unexpired artifact of that name, else ``false``."""
    from ci_metrics.render.outputs import github_output

    settings = settings_for(args)
    client = github_client(args, ctx, settings)
    with client.http:
        found = [a for a in client.run_artifacts(args.run_id, args.name) if not a.get("expired")]
    if found:
        ctx.say(f"run {args.run_id} has the artifact {args.name}")
    else:
        ctx.say(f"run {args.run_id} has no unexpired artifact {args.name}: nothing to do")
    text = github_output({"found": "true" if found else "false"})
    print(text, end="", file=ctx.stdout)
    append_to(ctx, "GITHUB_OUTPUT", text)
    return EXIT_OK
