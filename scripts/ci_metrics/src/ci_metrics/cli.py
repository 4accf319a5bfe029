"""Command line: ``python -m ci_metrics <verb>`` or the ``ci-metrics`` script.

The composition root: the parser is built from the verb modules, and
:func:`main` hands the verb the real collaborators (:class:`Context`). A verb
module names itself (``NAME``, ``HELP``), adds its flags (``add_arguments``)
and runs (``run(args, ctx) -> int``); it imports the pipeline it runs when it
runs, so ``--help`` and the short verbs start without coverage.py, httpx or
Jinja2.

Exit codes: 0 ok (including "nothing to do": no baseline yet, a stale run's
comment skipped); 1 a gate failed (or an exception's review date passed), and
nothing else; 2 bad usage or input (flags, settings, files, a corrupt artifact,
a malformed token or GITHUB_API_URL, a comment artifact not bound to its run);
3 GitHub unreachable, refusing, or still failing at the time limit.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from ci_metrics.context import Context
from ci_metrics.errors import EXIT_BAD_INPUT, CiMetricsError
from ci_metrics.verbs import (
    baseline,
    collect,
    exceptions,
    find_artifact,
    gate,
    plan,
    post,
    quarantine,
    report,
)


class Verb(Protocol):
    """What a verb module provides."""

    NAME: str
    HELP: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace, ctx: Context) -> int: ...


#: The verbs, in the order ``--help`` lists them: the pipeline's, then the tools'.
VERBS: tuple[Verb, ...] = (
    plan,
    collect,
    baseline,
    report,
    gate,
    post,
    find_artifact,
    exceptions,
    quarantine,
)


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so ``main`` owns every exit code."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise CiMetricsError(f"{self.prog}: {message}")


def _add_common_arguments(parser: argparse.ArgumentParser) -> None:
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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-command per verb."""
    parser = _Parser(prog="ci-metrics", description=__doc__)
    verbs = parser.add_subparsers(dest="verb", required=True, parser_class=_Parser)
    for verb in VERBS:
        sub = verbs.add_parser(verb.NAME, help=verb.HELP)
        _add_common_arguments(sub)
        verb.add_arguments(sub)
        sub.set_defaults(run=verb.run)
    return parser


def run(argv: Sequence[str] | None, ctx: Context) -> int:
    """Parse ``argv`` and run the verb with ``ctx``; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
        code: int = args.run(args, ctx)
    except CiMetricsError as exc:
        ctx.say(f"error: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:  # pragma: no cover  (interactive only)
        return EXIT_BAD_INPUT
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``ci-metrics`` and ``python -m ci_metrics``."""
    return run(argv, Context(environ=dict(os.environ)))
