"""Benchmark: what reading ``[tool.ci_metrics]`` costs a ci-metrics command at start-up.

Every ci-metrics command is a short process that reads its settings first, so
their reader's import and run is paid by each of them (the report job runs
four). Three kinds of whole fresh processes are timed, each the median of
``--runs`` runs after one uncounted run (bytecode written, as the second
command of a job finds it):

* **interpreter**: ``python -I -c pass``, the floor every process pays;
* **old**: import the standard-library settings reader of ``--old-ref``
  (default ``main``: its modules ``OLD_MODULES``, taken with ``git show`` into a
  temporary folder) and read this repository's ``pyproject.toml`` with it;
* **new**: the same with the working tree's reader (``ci_metrics.settings``, on
  msgspec).

For each: the process's CPU time (user + system, from ``wait4``), its wall
time and its peak RSS (``VmHWM`` of ``/proc/self/status`` at its end: the
``ru_maxrss`` of ``wait4`` and ``getrusage`` keep the high-water mark of the
fork before the exec, the benchmark's own memory);
then old and new beyond the interpreter. Run it with
an interpreter that has msgspec, for example ``.tox/ci_metrics/bin/python``.

Usage: python benchmarks/settings_startup.py [--runs 21] [--old-ref main]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "scripts" / "ci_metrics" / "src"
OLD_MODULES = ("__init__", "errors", "settings", "tables", "pyproject")
READ = (
    "import sys; sys.path.insert(0, {path!r}); from pathlib import Path; "
    "import ci_metrics.settings as s; s.load_settings(Path({pyproject!r}))"
)


def old_reader(ref: str, into: Path) -> Path:
    """The settings reader of ``ref``, as a package folder in ``into``."""
    package = into / "ci_metrics"
    package.mkdir()
    for name in OLD_MODULES:
        source = f"{ref}:scripts/ci_metrics/src/ci_metrics/{name}.py"
        text = subprocess.run(
            ["git", "show", source], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout
        (package / f"{name}.py").write_text(text, encoding="utf-8")
    return into


PEAK = (
    "; print(next(line.split()[1] for line in open('/proc/self/status') "
    "if line.startswith('VmHWM:')))"
)


def measure(code: str) -> tuple[float, float, float]:
    """One fresh process: (CPU seconds, wall seconds, peak RSS in MiB)."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-I", "-c", code + PEAK], stdout=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    assert proc.stdout is not None
    peak_kib = proc.stdout.read().strip()
    proc.stdout.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"the process failed: {code}")
    return usage.ru_utime + usage.ru_stime, wall, int(peak_kib) / 1024


def median_of(code: str, runs: int) -> tuple[float, float, float]:
    measure(code)  # writes the bytecode; not counted
    samples = [measure(code) for _ in range(runs)]
    return tuple(statistics.median(column) for column in zip(*samples, strict=True))  # type: ignore[return-value]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--old-ref", default="main")
    args = parser.parse_args(argv)
    pyproject = str(REPO / "pyproject.toml")
    with tempfile.TemporaryDirectory() as tmp:
        old = old_reader(args.old_ref, Path(tmp))
        figures = {
            "interpreter": median_of("pass", args.runs),
            f"old ({args.old_ref})": median_of(
                READ.format(path=str(old), pyproject=pyproject), args.runs
            ),
            "new (msgspec)": median_of(READ.format(path=str(SRC), pyproject=pyproject), args.runs),
        }
    print(f"median of {args.runs} fresh processes, {sys.executable} ({sys.version.split()[0]})")
    print(f"{'':<16}{'CPU ms':>9}{'wall ms':>10}{'peak RSS MiB':>14}")
    floor = figures["interpreter"]
    for name, (cpu, wall, rss) in figures.items():
        print(f"{name:<16}{cpu * 1000:>9.1f}{wall * 1000:>10.1f}{rss:>14.1f}")
    print("beyond the interpreter:")
    for name, (cpu, wall, rss) in figures.items():
        if name != "interpreter":
            print(
                f"{name:<16}{(cpu - floor[0]) * 1000:>9.1f}{(wall - floor[1]) * 1000:>10.1f}"
                f"{rss - floor[2]:>14.1f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
