"""Benchmark: how many layer jobs would the plan have run on this repository's own history?

Replays the last ``--commits`` commits (``git rev-list HEAD``: the first-parent
history and the commits of merged branches alike), each as a pull request
against its first parent, through the plan's own rules
(``ci_metrics.model.plan.plan_change``), and counts the layer jobs the plan
selects (layer x Python version x shard, as ``job_matrix`` makes them) against
a full run of every layer.

What each replayed plan uses:

* the change: ``git diff --name-only --no-renames <parent> <commit>`` (a rename is
  a deletion and an addition, as the plan sees it);
* the import graph: every tracked Python file **at that commit**;
* the layers, owned paths, test folders and the plan's settings
  (``shared``, ``unaffected``): **today's** ``pyproject.toml``, so every commit is
  judged by the plan as it is configured now (older commits predate the plan's
  settings, and several layers);
* the base snapshot's coverage contexts (which layer ran which file): one
  full run of **today's** commit (``--snapshot``, default
  ``results/ci_metrics/snapshot.json``), standing in for each parent's own, which
  CI would have (every push to the default branch keeps one). A file that no
  longer exists has no contexts there: only the owned-path, test-folder and
  import rules can place it, and a file none places runs every layer.

It prints the selected jobs per commit, their mean and distribution against a
full run, which rule made a plan run everything, and the plan's own time per
commit (the graph and the rules, in process; ``benchmarks/plan_time.py`` times
the whole ``ci-metrics plan`` process).

Run it with an interpreter that has ci-metrics:
``.tox/ci_metrics/bin/python benchmarks/plan_replay.py [--commits 100]``.
"""

from __future__ import annotations

import argparse
import collections
import statistics
import subprocess
import time
import tomllib
from pathlib import Path

from ci_metrics.inputs.imports import build_graph
from ci_metrics.model.plan import Base, full_plan, job_matrix, plan_change
from ci_metrics.model.snapshot import load_snapshot
from ci_metrics.settings import load_settings

REPO = Path(__file__).resolve().parents[1]


def git(*args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(
        ["git", *args], cwd=REPO, input=data, capture_output=True, check=True
    ).stdout


def python_sources(commit: str) -> dict[str, bytes]:
    """Every tracked ``.py`` file of ``commit``, by path."""
    listing = git("ls-tree", "-r", "--full-tree", commit).decode()
    blobs = {}
    for line in listing.splitlines():
        meta, path = line.split("\t", 1)
        _mode, kind, sha = meta.split()
        if kind == "blob" and path.endswith(".py"):
            blobs[sha] = path
    out = git("cat-file", "--batch", data="".join(f"{s}\n" for s in blobs).encode())
    sources, pos = {}, 0
    for sha, path in blobs.items():
        header_end = out.index(b"\n", pos)
        size = int(out[pos:header_end].split()[2])
        start = header_end + 1
        sources[path] = out[start : start + size]
        pos = start + size + 1
        assert out[pos - 1 : pos] == b"\n", sha
    return sources


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, default=100)
    parser.add_argument(
        "--snapshot", type=Path, default=REPO / "results" / "ci_metrics" / "snapshot.json"
    )
    args = parser.parse_args()
    pyproject = REPO / "pyproject.toml"
    settings = load_settings(pyproject)
    tables = tomllib.loads(pyproject.read_text())["tool"]["ci_metrics"]["layers"]
    snapshot = load_snapshot(args.snapshot)
    full_jobs = len(job_matrix(full_plan(settings, "full"), settings, tables))
    commits = git("rev-list", f"--max-count={args.commits}", "HEAD").decode().split()

    rows = []
    reasons: collections.Counter[str] = collections.Counter()
    for commit in commits:
        parents = git("rev-list", "--parents", "-n", "1", commit).decode().split()[1:]
        if not parents:
            continue
        changed = (
            git("diff", "--name-only", "--no-renames", parents[0], commit).decode().split("\n")
        )
        changed = [path for path in changed if path]
        sources = python_sources(commit)
        started = time.perf_counter()
        absent = [p for p in changed if p.endswith(".py") and p not in sources]
        graph = build_graph(sources, absent)
        base = Base(parents[0], "replay", parents[0], 0)
        plan = plan_change(settings, changed, snapshot, base, graph.importers, graph.unreadable)
        jobs = len(job_matrix(plan, settings, tables))
        seconds = time.perf_counter() - started
        if plan.full:
            reasons[plan.full.split(":", 1)[0]] += 1
        subject = git("log", "-1", "--format=%s", commit).decode().strip()
        rows.append((commit[:9], jobs, len(changed), plan.run, seconds, subject))

    print(f"{'commit':<10} {'jobs':>4} {'files':>5}  layers run  (subject)")
    for sha, jobs, files, run, _seconds, subject in rows:
        layers = ",".join(run) if len(run) < len(settings.layers) else "all"
        print(f"{sha:<10} {jobs:>4} {files:>5}  {layers:<34} {subject[:60]}")
    selected = [jobs for _sha, jobs, *_rest in rows]
    times = [row[4] for row in rows]
    saved = 1 - sum(selected) / (full_jobs * len(rows))
    print()
    print(f"{len(rows)} commits; a full run is {full_jobs} layer jobs")
    print(
        f"jobs selected: mean {statistics.mean(selected):.2f}, median "
        f"{statistics.median(selected):g}, min {min(selected)}, max {max(selected)}; "
        f"{sum(selected)} of {full_jobs * len(rows)} jobs: {saved:.1%} fewer than full runs"
    )
    histogram = collections.Counter(selected)
    print("distribution (jobs: commits): " + ", ".join(
        f"{jobs}: {count}" for jobs, count in sorted(histogram.items())
    ))  # fmt: skip
    everything = sum(1 for jobs in selected if jobs == full_jobs)
    print(f"every layer: {everything} commits; why: " + ", ".join(
        f"{reason} ({count})" for reason, count in reasons.most_common()
    ))  # fmt: skip
    print(
        f"plan time per commit (import graph + rules, in process): median "
        f"{statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
