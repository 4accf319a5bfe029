"""``gate``: apply the thresholds (minus the exception register); exit 1 when one fails."""

from __future__ import annotations

import argparse

from ci_metrics.context import Context
from ci_metrics.errors import EXIT_GATE_FAILED, EXIT_OK
from ci_metrics.verbs.report import add_report_inputs, build

NAME = "gate"
HELP = "apply the coverage thresholds (exit 1 on failure)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``gate``'s flags: the report's inputs."""
    add_report_inputs(parser)


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Print each gate's result; exit 1 when one failed."""
    report, _settings = build(args, ctx)
    for gate in report.gates:
        print(("ok   " if gate.passed else "FAIL ") + gate.describe(), file=ctx.stdout)
    for entry in report.expired:
        ctx.say(
            f"warning: coverage exception {entry.module} is past its review date "
            f"{entry.review_date}"
        )
    return EXIT_OK if report.passed else EXIT_GATE_FAILED
