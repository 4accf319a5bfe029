"""Command line: ``python -m ci_metrics <verb>`` or the ``ci-metrics`` script.

The composition root: the parser is built from the verb modules, and
:func:`main` hands the verb the real collaborators (:class:`Context`). A verb
module names itself (``NAME``, ``HELP``), adds its flags (``add_arguments``)
and runs (``run(args, ctx) -> int``); it imports the pipeline it runs when it
runs, so ``--help`` and the short verbs start without coverage.py, httpx or
Jinja2.

Exit codes: 0 ok (including "nothing to do": no baseline yet, a stale run's
comment skipped); 1 a gate failed (or a review date passed in the exception or
quarantine register), and nothing else; 2 bad usage or input (flags, settings,
files, a corrupt artifact, a malformed token or GITHUB_API_URL, a comment artifact
not bound to its run);
3 GitHub unreachable, refusing, or still failing at the time limit. An unexpected
failure (a bug) also exits 2, with one line and the hint to rerun with ``--debug``,
which prints the traceback.
"""

from __future__ import annotations

import argparse
import os
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from ci_metrics.context import Context, find_root
from ci_metrics.errors import EXIT_BAD_INPUT, CiMetricsError
from ci_metrics.verbs import (
    baseline,
    collect,
    exceptions,
    find_artifact,
    gate,
    init,
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


#: The verbs, in the order ``--help`` lists them: setting up, the pipeline's, the tools'.
VERBS: tuple[Verb, ...] = (
    init,
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
        default=None,
        help="the project folder: coverage.py's configuration and relative paths are "
        "found here; any folder of a git work tree (default: the current folder, or the "
        "nearest above it, up to the work tree's top, whose pyproject.toml holds "
        "[tool.ci_metrics])",
    )
    parser.add_argument(
        "--pyproject",
        type=Path,
        default=None,
        help="settings file (default: <root>/pyproject.toml)",
    )
    parser.add_argument(
        "--debug", action="store_true", help="print the traceback of an unexpected failure"
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-command per verb."""
    parser = _Parser(prog="ci-metrics", description=__doc__)
    verbs = parser.add_subparsers(dest="verb", required=True, parser_class=_Parser)
    for verb in VERBS:
        sub = verbs.add_parser(verb.NAME, help=verb.HELP)
        _add_common_arguments(sub)
        verb.add_arguments(sub)
        sub.set_defaults(run=verb.run, path_defaults=_path_defaults(sub))
    return parser


def _path_defaults(parser: argparse.ArgumentParser) -> dict[str, Path]:
    """The flags whose default is a relative path: the project's, wherever it is found."""
    return {
        action.dest: action.default
        for action in parser._actions
        if isinstance(action.default, Path) and not action.default.is_absolute()
    }


def run(argv: Sequence[str] | None, ctx: Context) -> int:
    """Parse ``argv`` and run the verb with ``ctx``; returns the exit code."""
    args = None
    try:
        args = build_parser().parse_args(argv)
        find_root(args, ctx)
        code: int = args.run(args, ctx)
    except CiMetricsError as exc:
        ctx.say(f"error: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:  # pragma: no cover  (interactive only)
        return EXIT_BAD_INPUT
    except Exception as exc:  # noqa: BLE001  (a bug: one line, and the way to see more)
        if getattr(args, "debug", False):
            ctx.say("".join(traceback.format_exception(exc)).rstrip())
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        detail = f": {first}" if first else ""
        ctx.say(
            f"error: unexpected {type(exc).__name__}{detail} (a bug in ci-metrics; "
            "rerun with --debug for the traceback)"
        )
        return EXIT_BAD_INPUT
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``ci-metrics`` and ``python -m ci_metrics``."""
    return run(argv, Context(environ=dict(os.environ)))
