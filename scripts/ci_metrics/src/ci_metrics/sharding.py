"""The ``shards`` verb: the job matrix of a layer split by pytest-split.

It runs before any dependency is installed, so it uses the standard library only:
the layer names come straight from the TOML (:mod:`ci_metrics.pyproject`), not
through the validated settings, which need pydantic.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ci_metrics.context import Context
from ci_metrics.errors import EXIT_OK, InputError
from ci_metrics.pyproject import layer_names, read_table

MAX_SHARDS = 64


def plan_shards(layer: str, count: int, layers: list[str]) -> dict[str, str]:
    """``shards`` (a JSON list 1..count for a matrix) and the layer's ``artifact-prefix``."""
    if layer not in layers:
        raise InputError(f"unknown layer {layer!r} (configured: {', '.join(layers)})")
    if not 1 <= count <= MAX_SHARDS:
        raise InputError(f"--count must be from 1 to {MAX_SHARDS}, got {count}")
    return {"shards": json.dumps(list(range(1, count + 1))), "artifact-prefix": f"results-{layer}"}


def cmd_shards(args: argparse.Namespace, ctx: Context) -> int:
    """Print the plan and append it to ``$GITHUB_OUTPUT`` when set."""
    table = read_table(args.pyproject or args.root / "pyproject.toml")
    plan = plan_shards(args.layer, args.count, layer_names(table))
    lines = "".join(f"{key}={value}\n" for key, value in plan.items())
    print(lines, end="", file=ctx.stdout)
    target = ctx.environ.get("GITHUB_OUTPUT")
    if target:
        with Path(target).open("a", encoding="utf-8") as handle:
            handle.write(lines)
    return EXIT_OK
