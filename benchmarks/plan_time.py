"""Benchmark: how long the plan job takes on this repository, its set-up and the plan apart.

The plan job is on every pull request's critical path: no layer starts before it
ends. Its steps are timed apart here, each a whole fresh process, the median of
``--runs`` runs after one uncounted run:

* **install ci-metrics**: what ``.github/actions/install-ci-metrics`` runs
  (``uv export --locked`` of ci-metrics' pins, ``uv tool install`` with them) into
  a temporary tool folder, with uv's cache as this machine has it (a hosted
  runner starts with an empty one: ``enable-cache`` is off); checkout and
  setup-python cannot be timed here, the job log shows them;
* **interpreter**: ``python -I -c pass``, the floor of any command;
* **plan, every layer**: ``ci-metrics plan --full`` (settings and matrix only);
* **plan**: ``ci-metrics plan --snapshots`` against a base snapshot of the merge
  base with ``--base`` (default ``HEAD~5``): git's merge base, ancestry and diff,
  the import graph of every Python file, the rules and the matrix. The base
  snapshot is this repository's newest kept one (``results/snapshots``) or
  collected one (``results/ci_metrics/snapshot.json``) named for that commit, else
  one with every layer passed and no files.

Run it with an interpreter that has ci-metrics, for example
``.tox/ci_metrics/bin/python benchmarks/plan_time.py``; ``--no-install`` skips the
install (it needs uv: ``.venv-tools/bin/uv``, made by ``dev.py``).

Usage: python benchmarks/plan_time.py [--runs 9] [--base HEAD~5] [--no-install]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
UV = REPO / ".venv-tools" / "bin" / "uv"
LAYERS = ("api", "auth", "kernel", "logging", "tooling", "ci_metrics", "integration")


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.strip()


def base_snapshot(sha: str, folder: Path) -> str:
    """A snapshot of ``sha`` in ``folder``; says which one it is."""
    kept = sorted((REPO / "results" / "snapshots").glob("*.json"), key=lambda p: p.stat().st_mtime)
    for source in [*reversed(kept), REPO / "results" / "ci_metrics" / "snapshot.json"]:
        if source.is_file():
            doc = json.loads(source.read_text(encoding="utf-8"))
            if doc.get("version") == 2:
                (folder / f"{sha}.json").write_text(json.dumps(doc | {"sha": sha}))
                return f"{source.relative_to(REPO)} ({len(doc['files'])} files), as {sha[:7]}'s"
    doc = {
        "schema": "ci-metrics-snapshot",
        "version": 2,
        "sha": sha,
        "files": {},
        "tests": {layer: {"t": ["passed", 0.1, 0]} for layer in LAYERS},
        "timing": {},
    }
    (folder / f"{sha}.json").write_text(json.dumps(doc))
    return f"a snapshot of {sha[:7]} with every layer passed and no files"


def timed(command: list[str], **kwargs: object) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, **kwargs)  # type: ignore[call-overload]
    return time.perf_counter() - started


def median_of(run: Callable[[], float], runs: int) -> tuple[float, float, float]:
    run()  # bytecode written, caches warm: not counted
    times = [run() for _ in range(runs)]
    return statistics.median(times), min(times), max(times)


def install(folder: Path) -> float:
    """The install action's two commands; the distribution is built from a copy, since
    building it leaves a ``build/`` folder beside its sources (mypy would read it)."""
    pins = folder / "ci-metrics.txt"
    source = folder / "ci_metrics"
    shutil.rmtree(source, ignore_errors=True)
    shutil.copytree(
        REPO / "scripts" / "ci_metrics",
        source,
        ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", "tests"),
    )
    tools = {"UV_TOOL_DIR": str(folder / "tools"), "UV_TOOL_BIN_DIR": str(folder / "bin")}
    export = [str(UV), "export", "--locked", "--package", "ci-metrics", "--no-emit-workspace"]
    started = time.perf_counter()
    subprocess.run(
        [*export, "--no-hashes", "--output-file", str(pins), "--quiet"], cwd=REPO, check=True
    )
    subprocess.run(
        [str(UV), "tool", "install", "--force", str(source), "--constraints", str(pins)],
        cwd=REPO,
        check=True,
        capture_output=True,
        env={**os.environ, **tools},
    )
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--base", default="HEAD~5")
    parser.add_argument("--no-install", action="store_true")
    args = parser.parse_args()
    merge_base = git("merge-base", args.base, "HEAD")
    python = sys.executable
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        snapshots = folder / "snapshots"
        snapshots.mkdir()
        described = base_snapshot(merge_base, snapshots)
        out = str(folder / "plan")
        plan = [python, "-m", "ci_metrics", "plan", "--output-dir", out]
        rows = []
        if not args.no_install:
            rows.append(("install ci-metrics", median_of(lambda: install(folder), args.runs)))
        rows.append(
            ("interpreter", median_of(lambda: timed([python, "-I", "-c", "pass"]), args.runs))
        )
        rows.append(
            (
                "plan, every layer",
                median_of(lambda: timed([*plan, "--full"], cwd=REPO), args.runs),
            )
        )
        planned = [*plan, "--snapshots", str(snapshots), "--base", args.base]
        rows.append(("plan", median_of(lambda: timed(planned, cwd=REPO), args.runs)))
        result = json.loads((folder / "plan" / "plan.json").read_text())
    print(f"base snapshot: {described}; diff from {merge_base[:7]} to the work tree")
    running = [layer for layer, entry in result["layers"].items() if entry["run"]]
    print(f"the plan runs: {', '.join(running) or 'no layer'} ({result['full'] or 'by the rules'})")
    print(f"median of {args.runs} fresh processes (min - max), seconds:")
    for name, (median, low, high) in rows:
        print(f"  {name:<20} {median:6.3f}  ({low:.3f} - {high:.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
