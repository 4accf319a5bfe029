"""Command line: ``python -m ci_metrics <verb>`` or the ``ci-metrics`` script.

Exit codes: 0 ok (including "nothing to do": no baseline yet, a stale run's
comment skipped); 1 a gate failed (or an exception's review date passed), and
nothing else; 2 bad usage or input (flags, settings, files, a corrupt artifact,
a malformed token or GITHUB_API_URL, a comment artifact not bound to its run);
3 GitHub unreachable, refusing, or still failing at the time limit.
"""

from __future__ import annotations

import argparse
import importlib
import os
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from ci_metrics.context import Context
from ci_metrics.errors import EXIT_BAD_INPUT, CiMetricsError

RESULTS = Path("results")
SNAPSHOT = RESULTS / "ci_metrics" / "snapshot.json"
BASELINE = RESULTS / "baseline" / "baseline.json"
REPORT_DIR = RESULTS / "report"


def parse_day(value: str) -> date:
    """argparse type for ``YYYY-MM-DD``."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _positive_int(value: str) -> int:
    """argparse type for a positive integer."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"not a positive integer: {value!r}")
    return number


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so ``main`` owns every exit code."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise CiMetricsError(f"{self.prog}: {message}")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--root",
        type=Path,
        default=Path("."),
        help="the project folder: coverage.py's configuration and relative paths are "
        "found here; any folder of a git work tree (default: current directory)",
    )
    parser.add_argument(
        "--pyproject",
        type=Path,
        default=None,
        help="settings file (default: <root>/pyproject.toml)",
    )


def _report_inputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--snapshot", type=Path, default=SNAPSHOT, help=f"default: {SNAPSHOT}")
    parser.add_argument(
        "--baseline",
        type=Path,
        default=BASELINE,
        help=f"baseline history; missing means no baseline (default: {BASELINE})",
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
        "--head-sha", help="head commit (default: from the event, else the snapshot)"
    )
    for flag in ("lines", "branches", "diff"):
        parser.add_argument(
            f"--fail-under-{flag}",
            type=float,
            metavar="PERCENT",
            help=f"override the {flag} threshold",
        )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-command per verb."""
    parser = _Parser(prog="ci-metrics", description=__doc__)
    verbs = parser.add_subparsers(dest="verb", required=True, parser_class=_Parser)

    collect = verbs.add_parser("collect", help="coverage + test results -> snapshot JSON")
    _common(collect)
    collect.add_argument(
        "--coverage-file",
        type=Path,
        help="combined coverage data (default: the one coverage.py would read: "
        "$COVERAGE_FILE, [run] data_file, .coverage)",
    )
    collect.add_argument(
        "--combine",
        type=Path,
        action="append",
        metavar="PATH",
        help="first combine these data files or folders into --coverage-file, keeping "
        "them (as `coverage combine --keep`; repeatable)",
    )
    collect.add_argument(
        "--results-dir",
        type=Path,
        default=RESULTS,
        help="holds <layer>/junit.xml, report-log.jsonl, tox-result.json",
    )
    collect.add_argument(
        "--tox-json",
        type=Path,
        action="append",
        help="tox --result-json file (repeatable; default: <results>/*/tox-result*.json)",
    )
    collect.add_argument(
        "--rcfile",
        type=Path,
        help="coverage configuration file (default: coverage.py's own search: "
        "$COVERAGE_RCFILE, .coveragerc, setup.cfg, tox.ini, pyproject.toml)",
    )
    collect.add_argument(
        "--jobs",
        type=int,
        default=0,
        metavar="N",
        help="processes sharing the analysis of large projects (default: one per CPU)",
    )
    collect.add_argument("--sha", help="commit measured (default: $GITHUB_SHA)")
    collect.add_argument("--run-id", help="CI run id (default: $GITHUB_RUN_ID, else 'local')")
    collect.add_argument("--output", type=Path, default=SNAPSHOT, help=f"default: {SNAPSHOT}")
    collect.set_defaults(handler="commands:cmd_collect")

    baseline = verbs.add_parser("baseline", help="merge a snapshot into the baseline, or fetch it")
    _common(baseline)
    baseline.add_argument("action", nargs="?", choices=("merge", "fetch"), default="merge")
    baseline.add_argument("--snapshot", type=Path, default=SNAPSHOT, help=f"default: {SNAPSHOT}")
    baseline.add_argument(
        "--baseline",
        type=Path,
        default=BASELINE,
        help=f"history file; fetch writes beside it (default: {BASELINE})",
    )
    baseline.add_argument(
        "--durations",
        type=Path,
        default=Path(".test_durations"),
        help="pytest-split durations file (default: .test_durations)",
    )
    baseline.add_argument("--window", type=int, help="number of runs kept")
    baseline.add_argument(
        "--mutation-scores",
        type=Path,
        metavar="FILE",
        help="merge: record these mutation scores with the run (JSON: per module mutants, "
        "detected, score) and show them in the step summary",
    )
    baseline.add_argument("--repository", help="owner/name (fetch; default: $GITHUB_REPOSITORY)")
    baseline.add_argument("--branch", help="branch (fetch; default: the repository's default)")
    baseline.add_argument("--workflow", help="workflow file (fetch; default from settings)")
    baseline.add_argument("--artifact-name", help="artifact name (fetch; default from settings)")
    baseline.add_argument(
        "--event", default="schedule", help="run event (fetch; default: schedule)"
    )
    baseline.set_defaults(handler="commands:cmd_baseline")

    report = verbs.add_parser("report", help="render the comment, step summary and annotations")
    _common(report)
    _report_inputs(report)
    report.add_argument(
        "--output-dir", type=Path, default=REPORT_DIR, help=f"default: {REPORT_DIR}"
    )
    report.add_argument(
        "--annotations",
        action="store_true",
        help="print grouped ::warning/::notice line annotations on stdout",
    )
    report.set_defaults(handler="commands:cmd_report")

    gate = verbs.add_parser("gate", help="apply the coverage thresholds (exit 1 on failure)")
    _common(gate)
    _report_inputs(gate)
    gate.set_defaults(handler="commands:cmd_gate")

    post = verbs.add_parser("post", help="create or update the sticky pull-request comment")
    _common(post)
    post.add_argument("--comment", type=Path, default=REPORT_DIR / "comment.md")
    post.add_argument("--pr", type=int, help="pull request number (default: from the event)")
    post.add_argument("--head-sha", help="head commit (default: from the event, else $GITHUB_SHA)")
    post.add_argument("--repository", help="owner/name (default: $GITHUB_REPOSITORY)")
    post.add_argument("--author", help="login of the comment's author (default from settings)")
    post.add_argument(
        "--artifact",
        type=Path,
        default=REPORT_DIR / "comment-artifact.json",
        help="where to write the comment when the token is read-only",
    )
    post.add_argument(
        "--artifact-only", action="store_true", help="write the artifact without trying to post"
    )
    post.add_argument(
        "--from-artifact",
        type=Path,
        metavar="FILE",
        help="post a comment artifact (untrusted input, from a workflow_run); needs the "
        "triggering run's CI_METRICS_RUN_HEAD_SHA, CI_METRICS_RUN_HEAD_BRANCH, "
        "CI_METRICS_RUN_HEAD_REPOSITORY and CI_METRICS_RUN_PULL_REQUESTS in the environment",
    )
    post.set_defaults(handler="commands:cmd_post")

    find = verbs.add_parser(
        "find-artifact",
        help="say whether a workflow run has an artifact (found=true|false in GITHUB_OUTPUT)",
    )
    _common(find)
    find.add_argument("--run-id", type=_positive_int, required=True, help="workflow run id")
    find.add_argument("--name", required=True, help="artifact name")
    find.add_argument("--repository", help="owner/name (default: $GITHUB_REPOSITORY)")
    find.set_defaults(handler="commands:cmd_find_artifact")

    exceptions = verbs.add_parser("exceptions", help="validate the coverage exception register")
    _common(exceptions)
    exceptions.add_argument(
        "--check", action="store_true", help="validate (the default and only action)"
    )
    exceptions.add_argument("--register", type=Path, help="register path (default from settings)")
    exceptions.add_argument("--today", type=parse_day, help="date to check against")
    exceptions.set_defaults(handler="commands:cmd_exceptions")

    return parser


def _handler(spec: str) -> Callable[[argparse.Namespace, Context], int]:
    # Verbs import their modules on use: short verbs start faster.
    module, name = spec.split(":")
    handler: Callable[[argparse.Namespace, Context], int] = getattr(
        importlib.import_module(f"ci_metrics.{module}"), name
    )
    return handler


def run(argv: Sequence[str] | None, ctx: Context) -> int:
    """Parse ``argv`` and run the verb with ``ctx``; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
        code: int = _handler(args.handler)(args, ctx)
    except CiMetricsError as exc:
        ctx.say(f"error: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:  # pragma: no cover  (interactive only)
        return EXIT_BAD_INPUT
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``ci-metrics`` and ``python -m ci_metrics``."""
    return run(argv, Context(environ=dict(os.environ)))
