"""Benchmark: does the change-based plan ever leave out a layer that would catch the change?

For every module of ``apps/``, ``logging_lib/`` and ``scripts/`` that some layer
executes, faults are injected (``benchmarks/mutants.py``: up to ``--per-module``
one-node mutations on executed lines, the same ones on every run). For each
fault, as if it were the pull request:

1. ``ci-metrics plan`` runs against the base snapshot of the unchanged commit
   (``--snapshots``) and says which layers run (S) and which are carried (U);
   a fault that makes the plan itself fail is caught by the plan job, which in
   CI runs the pull request's own ci-metrics and fails the required check;
2. the selected layers run against the fault, stopping at the first failure:
   first the tests that executed the changed line (per-test coverage contexts
   of the base run), then, when those pass, every test of every selected layer.

A fault that the full suite catches is caught by S or by U. To know that U can
catch none of them, without running U once per fault, each group of modules
with the same carried layers is **poisoned**: every module of the group is
replaced by ``os._exit(97)`` (a process that imports one dies; a test reading
one as text sees it changed) and U's layers run in full. If they pass, no fault
in those modules can reach them: every fault the full suite catches is caught by
S. If they fail, the group is split until the module U depends on is found,
and each of its faults that S did not catch is run against U: one that U
catches is a **miss**. The benchmark prints, per module, the faults tried, those
S caught (and at which stage), those S did not catch, and the misses, which must
be 0; a JSON file keeps every fault's record.

Preparation (once, in a scratch worktree of the commit under test, so this
checkout is never modified), e.g.::

    git worktree add --detach /tmp/safety HEAD
    cd /tmp/safety && python3 dev.py tox -m layers -p auto -- --cov-context=test
    python3 dev.py tox -e coverage        # the base snapshot, with per-test contexts

then::

    python3 benchmarks/plan_safety.py --worktree /tmp/safety [--worktree /tmp/safety2]

Each worktree needs its own layer envs (``dev.py tox -m layers --notest``) and
the same commit; faults run in them in parallel, one per worktree.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mutants import Mutant, mutants, sample

ROOTS = ("apps/", "logging_lib/", "scripts/")
SKIP = ("scripts/ci_metrics/tests/",)
POISON = "import os\nos._exit(97)\n"
TIMEOUT = 900  # seconds: a fault that hangs a layer this long is caught (CI's time limit)


@dataclass
class Fault:
    mutant: str
    module: str
    line: int
    kind: str
    selected: list[str]
    carried: list[str]
    caught_by: str = ""
    stage: str = ""  # "plan job", "line tests", "selected layers"; "" when S did not catch it
    miss: bool = False
    seconds: float = 0.0


@dataclass
class Worktree:
    path: Path
    layers: dict[str, list[str]]
    lock: threading.Lock = field(default_factory=threading.Lock)
    clock: float = 1_000_000_000.0

    def write(self, rel: str, text: str) -> None:
        """Write a source file with an mtime no compiled file can match."""
        target = self.path / rel
        target.write_text(text, encoding="utf-8")
        self.clock += 7.0
        os.utime(target, (self.clock, self.clock))


def run(argv: list[str], cwd: Path, timeout: int = TIMEOUT) -> int:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("COVERAGE", "PYTEST", "GITHUB"))
    }
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    try:
        return subprocess.run(
            argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            timeout=timeout, check=False,
        ).returncode  # fmt: skip
    except subprocess.TimeoutExpired:
        return -1


def pytest(tree: Worktree, layer: str, targets: list[str]) -> bool:
    """Whether the layer's tests in ``targets`` fail (or hang)."""
    python = tree.path / ".tox" / layer / "bin" / "python"
    argv = [str(python), "-m", "pytest", *targets, "-m", layer, "-x", "-q", "-n", "0"]
    argv += ["-p", "no:cacheprovider"]
    return run(argv, tree.path) != 0


def plan(tree: Worktree, snapshots: Path) -> tuple[list[str], list[str]] | None:
    """The layers the plan runs and carries; ``None`` when the plan itself fails.

    The plan job runs the pull request's own ci-metrics: a fault that breaks the
    plan fails that job, and with it the required check, before any layer runs.
    """
    with tempfile.TemporaryDirectory() as out:
        cli = tree.path / ".tox" / "ci_metrics" / "bin" / "ci-metrics"
        argv = [str(cli), "plan", "--base", "HEAD", "--snapshots", str(snapshots)]
        code = run([*argv, "--output-dir", out], tree.path, timeout=120)
        if code != 0:
            return None
        layers = json.loads(Path(out, "plan.json").read_text())["layers"]
    return [n for n, v in layers.items() if v["run"]], [
        n for n, v in layers.items() if not v["run"]
    ]


def line_tests(data_file: Path, root: Path) -> dict[tuple[str, int], list[str]]:
    """``(path, line) -> test ids`` from the per-test contexts (``layer|test|phase``)."""
    import coverage

    cov = coverage.Coverage(data_file=str(data_file), config_file=str(root / ".coveragerc"))
    cov.load()
    data = cov.get_data()
    found: dict[tuple[str, int], set[str]] = defaultdict(set)
    for name in data.measured_files():
        path = Path(name)
        if path.is_absolute():  # relative_files = True stores paths relative to the root
            try:
                path = path.resolve().relative_to(root.resolve())
            except ValueError:
                continue
        rel = path.as_posix()
        for line, contexts in data.contexts_by_lineno(name).items():
            for context in contexts:
                parts = context.split("|")
                if len(parts) >= 2 and "::" in parts[1]:
                    found[(rel, line)].add(parts[1])
    data.close(force=True)
    return {key: sorted(tests) for key, tests in found.items()}


def layer_of_test(test: str, layers: dict[str, list[str]]) -> str | None:
    for name, folders in layers.items():
        if any(test.startswith(folder.rstrip("/") + "/") for folder in folders):
            return name
    return None


def try_fault(
    tree: Worktree, mutant: Mutant, original: str, snapshots: Path, tests_at: dict
) -> Fault:
    start = time.monotonic()
    tree.write(mutant.path, mutant.source)
    try:
        planned = plan(tree, snapshots)
        selected, carried = planned or ([], [])
        fault = Fault(mutant.name, mutant.path, mutant.line, mutant.kind, selected, carried)
        if planned is None:
            fault.caught_by = fault.stage = "plan job"
        else:
            catch(tree, fault, tests_at)
    finally:
        tree.write(mutant.path, original)
    fault.seconds = round(time.monotonic() - start, 2)
    return fault


def catch(tree: Worktree, fault: Fault, tests_at: dict) -> None:
    """Run the selected layers against the fault: the line's tests first, then in full."""
    by_layer: dict[str, list[str]] = defaultdict(list)
    for test in tests_at.get((fault.module, fault.line), []):
        layer = layer_of_test(test, tree.layers)
        if layer in fault.selected:
            by_layer[layer].append(test)
    for layer, tests in by_layer.items():
        if pytest(tree, layer, tests):
            fault.caught_by, fault.stage = layer, "line tests"
            return
    order = sorted(fault.selected, key=lambda n: (n not in by_layer, n == "integration"))
    for layer in order:
        if pytest(tree, layer, tree.layers[layer]):
            fault.caught_by, fault.stage = layer, "selected layers"
            return


def poisoned_fails(tree: Worktree, modules: list[str], layers: list[str], sources: dict) -> bool:
    """Whether any of ``layers`` fails with every module of ``modules`` poisoned."""
    for module in modules:
        tree.write(module, POISON)
    try:
        return any(pytest(tree, layer, tree.layers[layer]) for layer in layers)
    finally:
        for module in modules:
            tree.write(module, sources[module])


def culprits(tree: Worktree, modules: list[str], layers: list[str], sources: dict) -> list[str]:
    """The modules of a failing poisoned group that the layers depend on (by halving)."""
    if not poisoned_fails(tree, modules, layers, sources):
        return []
    if len(modules) == 1:
        return modules
    half = len(modules) // 2
    return culprits(tree, modules[:half], layers, sources) + culprits(
        tree, modules[half:], layers, sources
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worktree", type=Path, action="append", required=True)
    parser.add_argument("--per-module", type=int, default=20)
    parser.add_argument("--only", default="", help="modules under this path only")
    parser.add_argument("--output", type=Path, default=Path("results/bench/plan_safety.json"))
    args = parser.parse_args()

    sys.path.insert(0, str(args.worktree[0]))
    from scripts.layer_registry import load_layers  # the worktree's own

    first = args.worktree[0].resolve()
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=first, capture_output=True, text=True, check=True
    ).stdout.strip()
    registry = {n: list(layer.tests) for n, layer in load_layers(first / "pyproject.toml").items()}
    trees = [Worktree(path.resolve(), registry) for path in args.worktree]
    snapshot = json.loads((first / "results/ci_metrics/snapshot.json").read_text())
    snapshots = Path(tempfile.mkdtemp(prefix="plan-safety-"))
    (snapshots / f"{head}.json").write_text(json.dumps(snapshot | {"sha": head}))
    # A failing plan counts a fault as caught: on the unchanged worktrees it must succeed,
    # or every fault would be "caught" by a broken setup.
    for tree in trees:
        envs = dict.fromkeys(("ci_metrics", *registry))
        missing = [name for name in envs if not (tree.path / ".tox" / name).is_dir()]
        if missing:
            raise SystemExit(f"{tree.path} lacks the envs {', '.join(missing)}: prepare it first")
        if plan(tree, snapshots) is None:
            raise SystemExit(f"ci-metrics plan fails in {tree.path} without any fault")
    print(f"base snapshot of {head[:10]}; reading per-test contexts ...", flush=True)
    tests_at = line_tests(first / "results/coverage/.coverage", first)

    faults_by_module: dict[str, list[Mutant]] = {}
    sources: dict[str, str] = {}
    for path, entry in sorted(snapshot["files"].items()):
        if not path.startswith(ROOTS) or path.startswith(SKIP) or not path.startswith(args.only):
            continue
        executed = {
            ln for runs in entry["layers"].values() for a, b in runs for ln in range(a, b + 1)
        }
        sources[path] = (first / path).read_text(encoding="utf-8")
        picked = sample(mutants(path, sources[path], executed), args.per_module, path)
        if picked:
            faults_by_module[path] = picked
    total = sum(len(v) for v in faults_by_module.values())
    print(f"{total} faults in {len(faults_by_module)} modules", flush=True)

    def save(record: dict) -> None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(record, indent=1))

    results: list[Fault] = []
    queue = [(m, mutant) for m, ms in faults_by_module.items() for mutant in ms]
    started = time.monotonic()
    lock = threading.Lock()

    def worker(tree: Worktree) -> None:
        while True:
            with lock:
                if not queue:
                    return
                module, mutant = queue.pop(0)
            fault = try_fault(tree, mutant, sources[module], snapshots, tests_at)
            with lock:
                results.append(fault)
                if len(results) % 50 == 0:
                    elapsed = time.monotonic() - started
                    print(f"  {len(results)}/{total} faults, {elapsed / 60:.1f} min", flush=True)
                    save({"head": head, "partial": True, "faults": [asdict(f) for f in results]})

    with concurrent.futures.ThreadPoolExecutor(len(trees)) as pool:
        list(pool.map(worker, trees))

    # Poison each group of modules with the same carried layers.
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for module in faults_by_module:
        carried_sets = {tuple(sorted(f.carried)) for f in results if f.module == module}
        for key in carried_sets:
            if key:
                groups[key].append(module)
    poison_runs: list[dict] = []
    for carried, modules in sorted(groups.items()):
        tree = trees[0]
        t0 = time.monotonic()
        found = culprits(tree, sorted(modules), list(carried), sources)
        poison_runs.append(
            {"carried": list(carried), "modules": len(modules), "depend": found,
             "seconds": round(time.monotonic() - t0, 1)}
        )  # fmt: skip
        depend = found or "no carried layer depends on them"
        print(
            f"poisoned {len(modules)} module(s) carrying {', '.join(carried)}: {depend}", flush=True
        )
        for fault in results:
            if fault.module in found and not fault.caught_by:
                mutant = next(m for m in faults_by_module[fault.module] if m.name == fault.mutant)
                tree.write(mutant.path, mutant.source)
                try:
                    fault.miss = any(pytest(tree, layer, tree.layers[layer]) for layer in carried)
                finally:
                    tree.write(mutant.path, sources[mutant.path])

    print()
    print(
        f"{'module':<58} {'tried':>5} {'plan':>4} {'line':>5} {'layer':>5} {'not':>4} {'miss':>4}"
    )
    for module in faults_by_module:
        mine = [f for f in results if f.module == module]
        planjob = sum(f.stage == "plan job" for f in mine)
        line = sum(f.stage == "line tests" for f in mine)
        layer = sum(f.stage == "selected layers" for f in mine)
        not_caught, missed = sum(not f.caught_by for f in mine), sum(f.miss for f in mine)
        print(
            f"{module:<58} {len(mine):>5} {planjob:>4} {line:>5} {layer:>5} "
            f"{not_caught:>4} {missed:>4}"
        )
    caught = sum(bool(f.caught_by) for f in results)
    misses = sum(f.miss for f in results)
    jobs = statistics.mean(len(f.selected) for f in results) if results else 0
    print(
        f"\n{len(results)} faults in {len(faults_by_module)} modules: {caught} caught by the "
        f"selected layers ({sum(f.stage == 'line tests' for f in results)} by the tests that ran "
        f"the line, {sum(f.stage == 'plan job' for f in results)} by the plan job, which the "
        f"fault broke), {len(results) - caught} caught by none of them; misses (caught by a "
        f"carried layer): {misses}; mean selected layers {jobs:.2f}; "
        f"{(time.monotonic() - started) / 60:.1f} min"
    )
    save({"head": head, "faults": [asdict(f) for f in results], "poison": poison_runs})
    shutil.rmtree(snapshots, ignore_errors=True)
    return 1 if misses else 0


if __name__ == "__main__":
    raise SystemExit(main())
