"""``quarantine``: check the quarantine register; one line per problem.

Every entry must be well formed (a test id, an owner, an issue link, a reason,
a ``YYYY-MM-DD`` review date), name a test that still exists (found statically
in its file: :mod:`ci_metrics.inputs.test_ids`), and be within its review date.
Exit 2 when an entry is malformed or names no test (bad input), else 1 when a
review date has passed, else 0.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ci_metrics.context import Context, settings_for
from ci_metrics.errors import EXIT_BAD_INPUT, EXIT_GATE_FAILED, EXIT_OK, InputError
from ci_metrics.verbs.exceptions import parse_day

NAME = "quarantine"
HELP = "check the quarantine register (entries, tests, review dates)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``quarantine``'s flags."""
    parser.add_argument(
        "--check", action="store_true", help="validate (the default and only action)"
    )
    parser.add_argument(
        "--register", type=Path, help="register path (default: quarantine.register in settings)"
    )
    parser.add_argument("--today", type=parse_day, help="date to check against")


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Check every entry; print one line per problem."""
    from ci_metrics.inputs.fileio import read_text
    from ci_metrics.inputs.quarantine import read_quarantine
    from ci_metrics.inputs.test_ids import missing_test

    settings = settings_for(args)
    path: Path = args.register or args.root / settings.quarantine.register
    text = read_text(path)
    if text is None:
        raise InputError(f"quarantine register not found: {path}")
    entries, malformed = read_quarantine(text, str(path))
    absent = [
        f"{path}:{entry.line}: {entry.test}: no such test: {why}"
        for entry in entries
        if (why := missing_test(args.root, entry.file, entry.names))
    ]
    today = args.today or ctx.now().date()
    expired = [
        f"{path}:{entry.line}: {entry.test}: review date {entry.review_date} has passed "
        "(take it out, or review it and set a new date)"
        for entry in entries
        if entry.expired(today)
    ]
    for line in [*malformed, *absent, *expired]:
        print(line, file=ctx.stdout)
    if malformed or absent:
        return EXIT_BAD_INPUT
    if expired:
        return EXIT_GATE_FAILED
    print(
        f"{path}: {len(entries)} quarantined test(s), each found and within its review date",
        file=ctx.stdout,
    )
    return EXIT_OK
