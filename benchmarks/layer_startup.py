"""Benchmark: what a layer's pytest process costs before its first test runs.

For each layer, in the layer's own tox environment (``.tox/<layer>``, created by
``tox -e <layer> --notest`` or any earlier run), two whole processes are timed:

* **collect**: ``python -m pytest --collect-only -q tests/...`` of the layer
  (every plugin pytest loads there, the conftests, the test modules);
* **floor**: ``python -c "import pytest, <the layer's plugins>, <the code under test>"``,
  i.e. what the layer cannot avoid importing.

The ratio collect / floor (CPU time, user + system) shows what start-up costs
beyond that floor: plugins the layer does not use, heavy test modules. Each
figure is the median of ``--runs`` runs, with the peak RSS of the collect run.
The whole suite's ``--collect-only`` process time is measured too, in the
``unit`` env when it exists.

Usage: python benchmarks/layer_startup.py [--runs 5] [--layer api ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: pytest plugins every layer uses (the floor imports them).
CORE_PLUGINS = (
    "pytest_cov",
    "xdist",
    "pytest_reportlog",
    "pytest_socket",
    "pytest_rerunfailures",
    "pytest_split",
)
#: Per layer: its test folders, the packages it tests, extra plugins it really uses.
LAYERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "api": (("tests/unit/api",), ("apps.api.app",)),
    "auth": (("tests/unit/auth",), ("apps.auth_service.app", "hypothesis")),
    "logging": (("tests/unit/logging",), ("logging_lib", "logging_lib.flask")),
    "tooling": (
        ("tests/unit/utils", "tests/unit/scripts"),
        ("ci_metrics.cli", "scripts.layer_results", "coverage", "httpx", "jinja2"),
    ),
}


@dataclass(frozen=True)
class Sample:
    cpu: float
    wall: float
    maxrss_mb: float


def run(argv: list[str]) -> Sample:
    """Run ``argv`` in the repository; CPU and peak RSS of that process alone (``wait4``)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_env()
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv[:6])} failed:\n{stderr[-2000:]}")
    return Sample(usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024)


def _env() -> dict[str, str]:
    # As a layer runs under tox: no bytecode written, no developer settings.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COVERAGE_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def median(samples: list[Sample]) -> Sample:
    return Sample(
        statistics.median(s.cpu for s in samples),
        statistics.median(s.wall for s in samples),
        statistics.median(s.maxrss_mb for s in samples),
    )


def measure(python: Path, argv: list[str], runs: int) -> Sample:
    run([str(python), *argv])  # warm the page cache; not counted
    return median([run([str(python), *argv]) for _ in range(runs)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--layer", action="append", choices=sorted(LAYERS))
    args = parser.parse_args(argv)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, median of {args.runs} runs")
    print(f"{'layer':<9} {'collect cpu':>11} {'floor cpu':>9} {'ratio':>6} {'wall':>6} {'rss':>7}")
    for layer in args.layer or sorted(LAYERS):
        python = REPO / ".tox" / layer / "bin" / "python"
        if not python.exists():
            print(f"{layer:<9} (no .tox/{layer}: run `tox -e {layer} --notest` first)")
            continue
        folders, packages = LAYERS[layer]
        collect = measure(python, ["-m", "pytest", "--collect-only", "-q", *folders], args.runs)
        imports = ", ".join(("pytest", *CORE_PLUGINS, *packages))
        floor = measure(python, ["-c", f"import {imports}"], args.runs)
        print(
            f"{layer:<9} {collect.cpu:>10.2f}s {floor.cpu:>8.2f}s {collect.cpu / floor.cpu:>5.2f}x"
            f" {collect.wall:>5.2f}s {collect.maxrss_mb:>5.0f}MB"
        )
    whole = REPO / ".tox" / "unit" / "bin" / "python"
    python = whole if whole.exists() else REPO / ".tox" / "tooling" / "bin" / "python"
    if python.exists():
        suite = measure(python, ["-m", "pytest", "--collect-only", "-q", "tests"], args.runs)
        print(
            f"whole suite --collect-only ({python.parent.parent.name} env): "
            f"{suite.wall:.2f}s wall, {suite.cpu:.2f}s CPU, {suite.maxrss_mb:.0f}MB peak RSS"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
