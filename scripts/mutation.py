"""Mutation testing of the security-critical modules, each against its own layer only.

For every layer named in ``[tool.mutation.layers]`` of ``pyproject.toml``, mutmut
mutates the listed modules and runs only that layer's tests (its ``tests`` in the
layer registry, ``[tool.ci_metrics.layers.<layer>]``) against each mutant:
a module counts as tested only by the tests of the layer that owns it, as the
layer contract says. mutmut reads its settings from the ``pyproject.toml`` of the
folder it runs in, so each layer runs in a scratch copy of the repository with
its own ``[tool.mutmut]`` table (and ``pytest.ini``, which the copy needs).

    python -m scripts.mutation                 every layer
    python -m scripts.mutation --layer logging one layer

A layer's table may leave tests out of its run, each with the reason
(``deselect = [{ test = "<pytest node id>", reason = "..." }]``): a test that
cannot run under mutmut, for example one whose code runs in spawned worker
processes that change directory before they reach a mutated module, where
mutmut's hook then cannot find its configuration. The run prints every test it
leaves out, and a listed test that no longer exists is an error.

Writes ``results/mutation/scores.json`` (per module: mutants, killed, survived,
timed out, no tests, score; and the tests left out) and
``results/mutation/survivors.md`` (the tests left out, then the diff of every
surviving mutant), prints one row per module and exits 1 when a module
scores below ``goal``, 2 on bad input or when mutmut itself fails for a layer
(the other layers still run and are written; ``failed`` in ``scores.json``
names the layer and why, and its modules are absent). Equivalent
mutants are marked where they arise with ``# pragma: no mutate`` and a reason;
mutmut then does not generate them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts.layer_registry import RegistryError, load_layers

#: What mutmut's ``results --all true`` prints per mutant: ``    <name>: <status>``.
_RESULT_LINE = re.compile(r"^\s+(?P<name>\S+): (?P<status>.+)$")
#: A mutant's name starts with its module: ``logging_lib.redaction.x_redact_text__mutmut_3``
#: or, for a method, ``logging_lib.redaction.xǁRedactorǁ__call____mutmut_2``.
_MODULE_OF = re.compile(r"^(?P<module>.+?)\.x[_ǁ]")
#: Statuses that mean a test noticed the mutant. A time-out counts: the mutant
#: made a test hang, which the layer's time limit turns into a failure.
DETECTED = frozenset({"killed", "timeout", "segfault", "caught by type check"})

Runner = Callable[[Sequence[str], Path, Path | None], int | str]


class MutationError(Exception):
    """Bad configuration, or mutmut failed: one line, exit 2."""


@dataclass(frozen=True)
class Deselected:
    """A test a layer's mutation run leaves out (a pytest node id), and why."""

    test: str
    reason: str


@dataclass(frozen=True)
class LayerTarget:
    """The modules one layer's tests are measured against, and the tests left out."""

    layer: str
    tests: tuple[str, ...]
    modules: tuple[str, ...]
    deselect: tuple[Deselected, ...] = ()


@dataclass
class ModuleScore:
    """Mutant outcomes of one module."""

    module: str
    layer: str
    counts: dict[str, int] = field(default_factory=dict)
    survivors: list[str] = field(default_factory=list)
    diffs: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def detected(self) -> int:
        return sum(n for status, n in self.counts.items() if status in DETECTED)

    @property
    def score(self) -> float | None:
        """Detected mutants as a percentage of all; ``None`` when none were generated."""
        return round(100.0 * self.detected / self.total, 1) if self.total else None

    def to_json(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "mutants": self.total,
            "detected": self.detected,
            "score": self.score,
            "counts": dict(sorted(self.counts.items())),
        }


def load_targets(pyproject: Path) -> tuple[float, list[LayerTarget]]:
    """``goal`` and the layer targets from ``[tool.mutation]``, tests from the layer registry."""
    try:
        table = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["mutation"]
    except (OSError, tomllib.TOMLDecodeError, KeyError) as exc:
        raise MutationError(f"cannot read [tool.mutation] from {pyproject}: {exc}") from None
    goal = table.get("goal", 90)
    if isinstance(goal, bool) or not isinstance(goal, int | float) or not 0 <= goal <= 100:
        raise MutationError(f"[tool.mutation] goal: expected 0-100, got {goal!r}")
    try:
        registry = load_layers(pyproject)
    except RegistryError as exc:
        raise MutationError(str(exc)) from None
    targets = []
    for layer, entry in (table.get("layers") or {}).items():
        where = f"[tool.mutation.layers.{layer}]"
        if layer not in registry:
            raise MutationError(f"{where}: {layer} is not a layer of [tool.ci_metrics.layers]")
        unknown = sorted(set(entry) - {"modules", "deselect"})
        if unknown:
            raise MutationError(
                f"{where} {', '.join(unknown)}: not a key here (the tests come from the registry)"
            )
        modules = entry.get("modules")
        if (
            not isinstance(modules, list)
            or not modules
            or not all(isinstance(v, str) for v in modules)
        ):
            raise MutationError(f"{where} modules: expected paths")
        tests = registry[layer].tests
        deselect = _deselections(entry.get("deselect", []), where, tests, pyproject.parent)
        targets.append(LayerTarget(layer, tests, tuple(modules), deselect))
    if not targets:
        raise MutationError("[tool.mutation.layers] names no layer")
    return float(goal), targets


def _deselections(
    entries: object, where: str, tests: Iterable[str], root: Path
) -> tuple[Deselected, ...]:
    """The ``deselect`` entries of a layer: each names a test of the layer that exists."""
    if not isinstance(entries, list):
        raise MutationError(f"{where} deselect: expected a list of {{ test, reason }} tables")
    found = []
    for index, entry in enumerate(entries):
        at = f"{where} deselect[{index}]"
        if not isinstance(entry, dict):
            raise MutationError(f"{at}: expected a table with test and reason")
        unknown = sorted(set(entry) - {"test", "reason"})
        if unknown:
            raise MutationError(f"{at} {', '.join(unknown)}: not a key here")
        test, reason = entry.get("test"), entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise MutationError(f"{at} reason: say why the test cannot run under mutmut")
        if not isinstance(test, str) or "::" not in test:
            raise MutationError(
                f"{at} test: expected a pytest node id (tests/path/test_x.py::test_name)"
            )
        _check_test_exists(test, at, tests, root)
        found.append(Deselected(test, reason.strip()))
    return tuple(found)


def _check_test_exists(test: str, at: str, tests: Iterable[str], root: Path) -> None:
    """A deselected test names a file among the layer's tests that defines each name in it.

    pytest ignores a ``--deselect`` that matches nothing, so a renamed test
    would silently run again (or another test would silently be left out).
    """
    path, *names = test.split("::")
    folders = tuple(tests)
    if not any(path == folder or path.startswith(folder.rstrip("/") + "/") for folder in folders):
        raise MutationError(f"{at} test: {path} is not in the layer's tests ({', '.join(folders)})")
    try:
        source = (root / path).read_text(encoding="utf-8")
    except OSError:
        raise MutationError(f"{at} test: no such test file: {path}") from None
    for name in names:
        bare = name.partition("[")[0]  # a parametrized case: test_x[id]
        if not re.search(rf"^\s*(?:async\s+)?(?:def|class)\s+{re.escape(bare)}\b", source, re.M):
            raise MutationError(f"{at} test: no {bare} in {path}")


def copied_path(path: str) -> str:
    """Where a module sits in the scratch copy.

    mutmut puts only ``./``, ``src/`` and ``source/`` of the folder it runs in on
    the tests' import path, so a module of a src-layout distribution inside the
    repository (``scripts/ci_metrics/src/ci_metrics/post.py``) is mutated from the
    copy's ``src/`` (``src/ci_metrics/post.py``); other paths stay as they are.
    """
    _, src, inside = path.rpartition("/src/")
    return f"src/{inside}" if src else path


def module_name(path: str) -> str:
    """``apps/api/jwks.py`` -> ``apps.api.jwks``; ``x/src/pkg/mod.py`` -> ``pkg.mod``."""
    return copied_path(path).removeprefix("src/").removesuffix(".py").replace("/", ".")


def mutmut_table(target: LayerTarget, also_copy: Iterable[str]) -> str:
    """The ``[tool.mutmut]`` table of a layer's scratch copy; ``also_copy`` names what
    mutmut copies beside the mutated sources (the repository's top-level entries: the
    tooling tests read .ci, .github, tox.ini, dev.py, ...; the sources are left out)."""
    modules = [copied_path(path) for path in target.modules]
    roots = sorted({path.split("/", 1)[0] for path in modules})
    settings = {
        "source_paths": roots,
        "only_mutate": modules,
        "pytest_add_cli_args_test_selection": list(target.tests),
        # Results and plugin caches of the real layer runs stay out of the copy.
        "pytest_add_cli_args": ["-p", "no:cacheprovider"]
        + [arg for entry in target.deselect for arg in ("--deselect", entry.test)],
        "also_copy": sorted(p for p in set(also_copy) if p not in roots),
    }
    lines = ["", "[tool.mutmut]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def parse_results(text: str, target: LayerTarget) -> dict[str, ModuleScore]:
    """Per-module outcomes from ``mutmut results --all true``; every listed module is present."""
    scores = {
        module_name(path): ModuleScore(module_name(path), target.layer) for path in target.modules
    }
    for line in text.splitlines():
        match = _RESULT_LINE.match(line)
        module = _MODULE_OF.match(match.group("name")) if match else None
        if match is None or module is None or module.group("module") not in scores:
            continue
        score = scores[module.group("module")]
        status = match.group("status").strip()
        score.counts[status] = score.counts.get(status, 0) + 1
        if status not in DETECTED:
            score.survivors.append(match.group("name"))
    return scores


def _run(argv: Sequence[str], cwd: Path, log: Path | None) -> int | str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COV_CORE", "COVERAGE_"))}
    if log is None:
        proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        return proc.stdout if proc.returncode == 0 else proc.returncode
    with log.open("a", encoding="utf-8") as handle:
        return subprocess.run(  # noqa: S603 - our own interpreter and arguments
            argv, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT, check=False
        ).returncode


def prepare_copy(root: Path, work: Path, target: LayerTarget) -> None:
    """A fresh scratch copy of the repository's tracked files plus the layer's mutmut table."""
    if work.exists():
        shutil.rmtree(work)
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],  # noqa: S607
        cwd=root,
        capture_output=True,
        check=False,
    )
    if listing.returncode != 0:
        raise MutationError(
            f"cannot list the repository's files in {root} (is it a git work tree?)"
        )
    top_level: set[str] = set()
    for rel in filter(None, listing.stdout.decode("utf-8", "surrogateescape").split("\0")):
        source = root / rel
        if source.is_file():
            (work / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, work / rel)
            top_level.add(rel.split("/", 1)[0])
    for module in target.modules:
        copied = copied_path(module)
        if copied != module and (root / module).is_file():
            # The distribution's src/ becomes the copy's, where mutmut imports it from.
            source = root / module.removesuffix(copied.removeprefix("src/"))
            shutil.copytree(source, work / "src", dirs_exist_ok=True)
        if not (work / copied).is_file():
            raise MutationError(f"[tool.mutation.layers.{target.layer}] no such module: {module}")
    with (work / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write(mutmut_table(target, top_level))


def run_layer(
    root: Path, out: Path, target: LayerTarget, *, children: int, runner: Runner = _run
) -> dict[str, ModuleScore]:
    """Mutate the layer's modules in a scratch copy and score them."""
    work = out / target.layer
    prepare_copy(root, work, target)
    log = out / f"{target.layer}.log"
    log.unlink(missing_ok=True)
    mutmut = [sys.executable, "-m", "mutmut"]
    code = runner([*mutmut, "run", "--max-children", str(children)], work, log)
    if code != 0:
        raise MutationError(
            f"mutmut run failed for the {target.layer} layer (exit {code}); see {log}"
        )
    listing = runner([*mutmut, "results", "--all", "true"], work, None)
    if not isinstance(listing, str):
        raise MutationError(f"mutmut results failed for the {target.layer} layer (exit {listing})")
    scores = parse_results(listing, target)
    empty = [name for name, score in scores.items() if score.total == 0]
    if empty:
        raise MutationError(f"no mutants were generated for {', '.join(empty)}: check the paths")
    for score in scores.values():
        for name in score.survivors:
            shown = runner([*mutmut, "show", name], work, None)
            score.diffs[name] = shown if isinstance(shown, str) else f"# {name}: no diff\n"
    return scores


def render_table(scores: Mapping[str, ModuleScore], goal: float) -> str:
    """One row per module, worst first."""
    rows = sorted(scores.values(), key=lambda s: (s.score if s.score is not None else -1, s.module))
    width = max(len(s.module) for s in rows)
    out = [f"{'module':<{width}}  layer     mutants  detected  survived  score"]
    for s in rows:
        flag = "" if s.score is not None and s.score >= goal else f"  < {goal:g}"
        out.append(
            f"{s.module:<{width}}  {s.layer:<8}  {s.total:>7}  {s.detected:>8}  "
            f"{s.total - s.detected:>8}  {s.score:>5.1f}%{flag}"
        )
    return "\n".join(out)


def render_survivors(
    scores: Mapping[str, ModuleScore],
    deselected: Iterable[tuple[str, Deselected]] = (),
    failed: Mapping[str, str] | None = None,
) -> str:
    """Markdown: the layers not scored, the tests left out, then each surviving mutant's
    diff, grouped by module."""
    parts = ["# Surviving mutants", ""]
    if failed:
        parts += ["Layers not scored (their modules are missing below):", ""]
        parts += [f"- {layer}: {reason}" for layer, reason in failed.items()] + [""]
    left_out = [f"- `{entry.test}` ({layer}): {entry.reason}" for layer, entry in deselected]
    if left_out:
        parts += ["Tests left out of the run (they cannot run under mutmut):", "", *left_out, ""]
    for module, score in sorted(scores.items()):
        if not score.survivors:
            continue
        parts += [f"## {module} ({len(score.survivors)})", ""]
        for name in score.survivors:
            parts += ["```diff", score.diffs.get(name, f"# {name}").rstrip("\n"), "```", ""]
    return "\n".join(parts)


def main(argv: Sequence[str] | None = None, runner: Runner = _run) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.mutation", description=__doc__)
    parser.add_argument("--layer", action="append", help="only this layer (repeatable)")
    parser.add_argument("--root", type=Path, default=Path("."), help="repository root")
    parser.add_argument(
        "--output", type=Path, default=Path("results/mutation"), help="results folder"
    )
    parser.add_argument(
        "--children", type=int, default=os.cpu_count() or 2, help="parallel mutant runs"
    )
    args = parser.parse_args(argv)
    root, out = args.root.resolve(), args.output.resolve()
    try:
        goal, targets = load_targets(root / "pyproject.toml")
        unknown = sorted(set(args.layer or ()) - {t.layer for t in targets})
        if unknown:
            raise MutationError(f"not in [tool.mutation.layers]: {', '.join(unknown)}")
    except MutationError as exc:
        print(f"mutation: {exc}", file=sys.stderr)
        return 2
    scores: dict[str, ModuleScore] = {}
    deselected: list[tuple[str, Deselected]] = []
    # A layer whose mutmut run fails is named and the others still run and are
    # written: the nightly records what was scored and stays red for the rest.
    failed: dict[str, str] = {}
    out.mkdir(parents=True, exist_ok=True)
    for target in targets:
        if args.layer and target.layer not in args.layer:
            continue
        print(f"mutation: {target.layer}: {len(target.modules)} module(s) ...", flush=True)
        for entry in target.deselect:
            print(
                f"mutation: {target.layer}: deselected {entry.test}: {entry.reason}",
                flush=True,
            )
            deselected.append((target.layer, entry))
        try:
            scores.update(run_layer(root, out, target, children=args.children, runner=runner))
        except MutationError as exc:
            failed[target.layer] = str(exc)
            print(f"mutation: {target.layer}: not scored: {exc}", file=sys.stderr, flush=True)
    report = {
        "goal": goal,
        "modules": {name: s.to_json() for name, s in sorted(scores.items())},
        "deselected": [
            {"layer": layer, "test": entry.test, "reason": entry.reason}
            for layer, entry in deselected
        ],
        "failed": [{"layer": layer, "reason": reason} for layer, reason in failed.items()],
    }
    (out / "scores.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (out / "survivors.md").write_text(
        render_survivors(scores, deselected, failed), encoding="utf-8"
    )
    if scores:
        print(render_table(scores, goal))
    print(f"wrote {out / 'scores.json'} and {out / 'survivors.md'}")
    if failed:
        print(f"mutation: not scored: {', '.join(failed)} (see above)", file=sys.stderr)
        return 2
    below = [s.module for s in scores.values() if s.score is None or s.score < goal]
    if below:
        print(f"mutation: below the {goal:g}% goal: {', '.join(sorted(below))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover - exercised through the CLI
    raise SystemExit(main())
