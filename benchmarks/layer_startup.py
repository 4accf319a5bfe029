"""Benchmark: what a layer's pytest process costs before its first test runs.

For each layer of the registry (``[tool.ci_metrics.layers]``), in the
layer's own tox environment (``.tox/<layer>``, created by ``tox -e <layer>
--notest`` or any earlier run), two whole processes are timed:

* **collect**: ``python -m pytest --collect-only -q <the layer's test folders>``:
  every plugin pytest loads in that env, the conftests, the test modules;
* **floor**: ``python -c "import pytest, <plugins>, <code under test>"``: what the
  layer cannot avoid importing. The plugins are read from where they are
  declared: the modules of the plugins ``pytest.ini`` loads for every layer
  (its ``-p`` names: coverage, xdist, report log, sockets, reruns, split), plus
  the pytest plugins and the packages of the distributions the layer's registry
  entry names in ``plugins`` (hypothesis for ``auth``, whose tests import it),
  as the layer's env resolves them (not timed); the code under test is every
  module under the paths the layer owns (its tests cover at least 95% of them,
  so they import them all), and for ``tooling`` also the test helpers of
  ``tests/utils`` that ``tests/unit/utils`` tests.

The ratio collect / floor (CPU time, user + system) is what start-up costs
beyond that floor: plugins loaded but not used, conftests, heavy test
modules. The floor and the ratio (the goal: at most 1.3x) are given for the
unit layers; the integration layer's collect time counts in the totals.

Each figure is measured twice, as the layer runs under tox (bytecode written):
**warm**, the median of ``--runs`` runs after one uncounted run, as a
developer's next run; **cold**, the median of ``--runs`` runs each started
with every ``__pycache__`` folder of the repository and of the env's installed
packages removed, as in a fresh CI checkout and env. The collect run's wall
time and peak RSS are the cold ones. The whole suite's start-up is given as
the sum of every layer's own collect-only process (what the CI jobs pay), and
as one process over ``tests/unit`` in the ``unit`` env (the only env with
every unit layer's dependencies), warm and cold.

Usage: python benchmarks/layer_startup.py [--runs 5] [--layer api ...]
"""

from __future__ import annotations

import argparse
import configparser
import itertools
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scripts.layer_registry import Layer, load_layers  # noqa: E402

#: What the floor's plugins are resolved with, in the layer's env: ``-p`` names (an entry
#: point's name or a module) and registry distributions -> the modules to import.
_RESOLVE_PLUGINS = """\
import sys
from importlib.metadata import distribution, entry_points, packages_distributions
names, distributions = sys.argv[1].split(), sys.argv[2].split()
by_name = {ep.name: ep.module for ep in entry_points(group="pytest11")}
modules = [by_name.get(name, name) for name in names]
owners = packages_distributions()
for name in distributions:
    modules += [ep.module for ep in distribution(name).entry_points if ep.group == "pytest11"]
    modules += sorted(top for top, dists in owners.items()
                      if name in dists and not top.startswith("_"))
print(" ".join(dict.fromkeys(modules)))
"""
#: Code a layer tests without owning it.
ALSO_UNDER_TEST: dict[str, tuple[str, ...]] = {"tooling": ("tests/utils",)}


@dataclass(frozen=True)
class Sample:
    cpu: float
    wall: float
    maxrss_mb: float


def modules_under(path: str, skip: tuple[str, ...] = ()) -> list[str]:
    """Importable module names of every ``.py`` file under ``path`` (src layouts too),
    but those under the folders in ``skip``."""
    names = []
    for file in sorted((REPO / path).rglob("*.py")):
        if any(file.is_relative_to(REPO / folder) for folder in skip):
            continue
        parts = file.relative_to(REPO).with_suffix("").parts
        if "src" in parts:
            parts = parts[parts.index("src") + 1 :]
        if parts[-1] == "__main__":
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def every_layer_plugins() -> list[str]:
    """The plugins ``pytest.ini`` loads with ``-p`` for every layer; not ``no:`` ones, nor
    the repository's own plugin loader (start-up cost beyond the floor, like a conftest)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(REPO / "pytest.ini")
    args = shlex.split(parser["pytest"]["addopts"])
    loaded = [value for flag, value in itertools.pairwise(args) if flag == "-p"]
    return [name for name in loaded if not name.startswith(("no:", "tests."))]


def plugin_modules(python: Path, layer: Layer) -> list[str]:
    """The modules of the layer's plugins, as its env resolves them (see ``_RESOLVE_PLUGINS``)."""
    argv = [str(python), "-c", _RESOLVE_PLUGINS]
    argv += [" ".join(every_layer_plugins()), " ".join(layer.plugins)]
    proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"cannot resolve the {layer.name} layer's plugins:\n{proc.stderr[-2000:]}")
    return proc.stdout.split()


def floor_imports(layer: Layer, plugins: list[str]) -> list[str]:
    """What the layer's pytest process cannot avoid importing (see the module docstring)."""
    # Not what it leaves out (``!`` in ``owns``), nor a distribution's own tests under it.
    skip = (*layer.excludes, *layer.tests)
    code = [
        m
        for path in (*layer.owns, *ALSO_UNDER_TEST.get(layer.name, ()))
        for m in modules_under(path, skip)
    ]
    return ["pytest", *plugins, *dict.fromkeys(code)]


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
    # As a layer runs under tox: bytecode written, no developer settings.
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "COVERAGE_")) and k != "PYTHONDONTWRITEBYTECODE"
    }


def forget_bytecode(python: Path) -> None:
    """Remove what a first run leaves behind, as in a fresh checkout and env: the
    ``__pycache__`` folders of the repository and of the env's installed packages."""
    roots = [REPO / folder for folder in ("apps", "logging_lib", "scripts", "tests")]
    roots += python.parent.parent.glob("lib/python*/site-packages")
    for root in roots:
        for cache in root.rglob("__pycache__"):
            shutil.rmtree(cache, ignore_errors=True)


def median(samples: list[Sample]) -> Sample:
    return Sample(
        statistics.median(s.cpu for s in samples),
        statistics.median(s.wall for s in samples),
        statistics.median(s.maxrss_mb for s in samples),
    )


def measure(python: Path, argv: list[str], runs: int, *, cold: bool = False) -> Sample:
    """Median of ``runs`` processes: each from forgotten bytecode (``cold``, as in a fresh CI
    checkout) or after one uncounted warm-up run (as a developer's next run)."""
    command = [str(python), *argv]
    if cold:
        samples = []
        for _ in range(runs):
            forget_bytecode(python)
            samples.append(run(command))
        return median(samples)
    run(command)
    return median([run(command) for _ in range(runs)])


def main(argv: list[str] | None = None) -> int:
    registry = load_layers()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--layer", action="append", choices=sorted(registry))
    args = parser.parse_args(argv)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, median of {args.runs} runs, "
          f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    header = f"{'collect cpu':>11} {'floor cpu':>9} {'ratio':>6}"
    print(f"{'':<12} {'warm (next run)':^28}   {'cold (fresh checkout)':^28}")
    print(f"{'layer':<12} {header}   {header}   {'wall':>6} {'rss':>6}")
    totals = {"warm": Sample(0.0, 0.0, 0.0), "cold": Sample(0.0, 0.0, 0.0)}
    for name in args.layer or list(registry):
        layer = registry[name]
        python = REPO / ".tox" / name / "bin" / "python"
        if not python.exists():
            print(f"{name:<12} (no .tox/{name}: run `tox -e {name} --notest` first)")
            continue
        collect_argv = ["-m", "pytest", "--collect-only", "-q", *layer.tests]
        floor_argv: list[str] = []
        if layer.is_unit:  # the goal is set for the unit layers
            floor_modules = floor_imports(layer, plugin_modules(python, layer))
            floor_argv = ["-c", f"import {', '.join(floor_modules)}"]
        cells = []
        for kind in ("warm", "cold"):
            collect = measure(python, collect_argv, args.runs, cold=kind == "cold")
            total = totals[kind]
            totals[kind] = Sample(total.cpu + collect.cpu, total.wall + collect.wall, 0.0)
            if layer.is_unit:  # the goal is set for the unit layers
                floor = measure(python, floor_argv, args.runs, cold=kind == "cold")
                ratio = f"{collect.cpu / floor.cpu:>5.2f}x"
                cells.append(f"{collect.cpu:>10.2f}s {floor.cpu:>8.2f}s {ratio:>6}")
            else:
                cells.append(f"{collect.cpu:>10.2f}s {'-':>9} {'-':>6}")
        usage = f"{collect.wall:>5.2f}s {collect.maxrss_mb:>4.0f}MB"
        print(f"{name:<12} {cells[0]}   {cells[1]}   {usage}")
    for kind, total in totals.items():
        print(f"every layer above, one collect-only process each, {kind}: {total.cpu:.2f}s CPU, "
              f"{total.wall:.2f}s wall (summed)")  # fmt: skip
    # Only the unit env holds every unit layer's dependencies (hypothesis for auth).
    python = REPO / ".tox" / "unit" / "bin" / "python"
    if not python.exists():
        print("tests/unit in one process: skipped (no .tox/unit: run `tox -e unit --notest`)")
    else:
        argv = ["-m", "pytest", "--collect-only", "-q", "tests/unit"]
        for kind in ("warm", "cold"):
            suite = measure(python, argv, args.runs, cold=kind == "cold")
            print(
                f"tests/unit --collect-only in one process ({python.parent.parent.name} env), "
                f"{kind}: {suite.wall:.2f}s wall, {suite.cpu:.2f}s CPU, "
                f"{suite.maxrss_mb:.0f}MB peak RSS"
            )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
