"""``exceptions``: validate the coverage exception register; exit 1 past a review date."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from ci_metrics.context import Context, settings_for
from ci_metrics.errors import EXIT_GATE_FAILED, EXIT_OK, InputError

NAME = "exceptions"
HELP = "validate the coverage exception register"


def parse_day(value: str) -> date:
    """argparse type for ``YYYY-MM-DD``."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``exceptions``' flags."""
    parser.add_argument(
        "--check", action="store_true", help="validate (the default and only action)"
    )
    parser.add_argument("--register", type=Path, help="register path (default from settings)")
    parser.add_argument("--today", type=parse_day, help="date to check against")


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Validate the exception register; exit 1 when a review date has passed."""
    from ci_metrics.inputs.register import load_register

    settings = settings_for(args)
    path = args.root / settings.exception_register
    if not path.is_file():
        raise InputError(f"exception register not found: {path}")
    entries = load_register(path, args.root)
    today = args.today or ctx.now().date()
    expired = [e for e in entries if e.expired(today)]
    for entry in expired:
        print(
            f"{path}:{entry.line}: review date {entry.review_date} of {entry.module} has passed",
            file=ctx.stdout,
        )
    if not expired:
        print(f"{path}: {len(entries)} exception(s), all within their review date", file=ctx.stdout)
    return EXIT_GATE_FAILED if expired else EXIT_OK
