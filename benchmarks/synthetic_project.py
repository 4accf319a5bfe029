"""Generate a large synthetic project: sources, a git history and layered coverage data.

The project has ``files`` modules spread over the four owned paths (apps/api,
apps/auth_service, logging_lib, scripts), ~150 statements each, branch coverage
data of five layers (api, auth, logging, tooling, integration), each in its own data
file ``results/coverage/layers/.coverage.<layer>`` under its own static context, as
the layer jobs leave them, and a feature branch that changes ``changed_lines`` lines
(part of them continuation lines of multi-line statements) against ``main``.

Every module shares one line layout, so the possible arcs are computed once with
coverage.py's parser and executed arcs are drawn from them with a seeded RNG.
"""

from __future__ import annotations

import os
import random
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import coverage
from coverage.python import PythonFileReporter

OWNED = {"api": "apps/api", "auth": "apps/auth_service", "logging": "logging_lib",
         "tooling": "scripts"}  # fmt: skip
FUNCTIONS = 17
FUNCTION = """\
def f_{i}(x, y):
    total = {i}
    if x > y:
        total += x
    else:
        total -= y
    for k in range(3):
        total += k
    value = max(
        total,
        x,
    )
    return value

"""
SPAN = FUNCTION.count("\n")  # lines per function, blank line included
COVERAGERC = """\
[run]
branch = True
relative_files = True
source =
    apps
    logging_lib
    scripts
"""


PYPROJECT = """\
[tool.ci_metrics.layers]
api = ["apps/api"]
auth = ["apps/auth_service"]
logging = ["logging_lib"]
tooling = ["scripts"]
integration = []
"""


@dataclass(frozen=True)
class Project:
    """Where the generated project lives and what it holds."""

    root: Path
    files: list[str]
    statements: int
    changed_lines: int


def module_source() -> str:
    """The source every generated module shares (function bodies differ by a constant)."""
    return "".join(FUNCTION.format(i=i) for i in range(FUNCTIONS))


def _git(root: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@example.com",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@example.com"}  # fmt: skip
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def _function_arcs(
    arcs: Iterable[tuple[int, int]],
) -> tuple[set[tuple[int, int]], list[dict[str, set[tuple[int, int]]]]]:
    """Split arcs into module-level arcs and, per function, its arcs by role."""
    module: set[tuple[int, int]] = set()
    per_function: list[dict[str, set[tuple[int, int]]]] = [
        {"common": set(), "if": set(), "else": set()} for _ in range(FUNCTIONS)
    ]
    for a, b in arcs:
        line = max(abs(a), abs(b)) if a < 0 else abs(a)
        index, offset = divmod(line - 1, SPAN)
        is_def_arc = offset == 0 and a > 0 and (b < 0 or (b - 1) % SPAN == 0)
        if a == -1 or is_def_arc or index >= FUNCTIONS:
            module.add((a, b))
            continue
        roles = per_function[index]
        touched = {(abs(a) - 1) % SPAN, (abs(b) - 1) % SPAN}
        if 3 in touched:
            roles["if"].add((a, b))
        elif 5 in touched:
            roles["else"].add((a, b))
        else:
            roles["common"].add((a, b))
    return module, per_function


def generate(
    root: Path, *, files: int = 2000, changed_lines: int = 20000, seed: int = 7
) -> Project:
    """Write the project under ``root`` (which must not exist yet)."""
    rng = random.Random(seed)
    root.mkdir(parents=True)
    (root / ".coveragerc").write_text(COVERAGERC, encoding="utf-8")
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    source = module_source()
    lines = source.splitlines(keepends=True)
    names = []
    for number in range(files):
        owner = list(OWNED)[number % len(OWNED)]
        rel = f"{OWNED[owner]}/pkg_{number % 20:02}/mod_{number:04}.py"
        names.append(rel)
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    for package in (
        {Path(n).parent for n in names} | {Path(p) for p in OWNED.values()} | {Path("apps")}
    ):
        (root / package / "__init__.py").touch()
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "base")
    _git(root, "checkout", "-q", "-b", "feature")
    # Change lines in place (append a comment) so line numbers and arcs stay valid.
    candidates = [i for i, text in enumerate(lines) if text.strip()]
    per_file = max(1, changed_lines // files)
    changed = 0
    for rel in names:
        picks = set(rng.sample(candidates, per_file))
        text = "".join(
            line.rstrip("\n") + "  # rev 2\n" if i in picks else line
            for i, line in enumerate(lines)
        )
        (root / rel).write_text(text, encoding="utf-8")
        changed += per_file
    _git(root, "commit", "-q", "-am", "feature")
    reporter = PythonFileReporter(
        str(root / names[0]), coverage=coverage.Coverage(config_file=False)
    )
    statements = len(reporter.lines())
    module, per_function = _function_arcs(reporter.arcs())
    layers_dir = root / "results" / "coverage" / "layers"
    layers_dir.mkdir(parents=True)
    for layer in [*OWNED, "integration"]:
        data = coverage.CoverageData(basename=str(layers_dir / f".coverage.{layer}"))
        data.set_context(layer)
        arcs: dict[str, set[tuple[int, int]]] = {}
        for number, rel in enumerate(names):
            owner = list(OWNED)[number % len(OWNED)]
            if layer == owner:
                chance = 0.85
            elif layer == "integration" and rng.random() < 0.4:
                chance = 0.3
            elif rng.random() < 0.05:
                chance = 0.2
            else:
                continue
            executed = set(module)
            for roles in per_function:
                if rng.random() >= chance:
                    continue
                executed |= roles["common"]
                pick = rng.random()
                if pick < 0.6:
                    executed |= roles["if"]
                if pick > 0.4:
                    executed |= roles["else"]
            arcs[rel] = executed
        data.add_arcs(arcs)
        data.write()
    return Project(root, names, statements * files, changed)
