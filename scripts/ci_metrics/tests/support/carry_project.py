"""A project measured as three layers, at a base commit and after a change, for carrying.

``pkg/shared.py`` has branches that each layer takes in part (``classify`` on a
positive, a negative and a zero number; a loop entered or not), so only the three
layers together cover it, and a branch line's destinations come from different
layers. ``pkg/a.py`` is run by layer ``a`` alone; the change on ``feature`` rewrites
it, and nothing else. Each layer is a script run under ``coverage run`` with its
static context (``.coveragerc``'s ``context``, as this repository's layers record
theirs) and a JUnit file of one passed test.

:func:`build_carry_project` measures every layer at ``main`` and keeps that snapshot
(``results/snapshots/<main>.json``), then checks out ``feature`` and measures every
layer again into ``all/`` (the truth a carried run must equal) and layer ``a`` alone
into ``fresh/``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ci_metrics.cli import run
from support.context import make_context
from support.project import coverage, git, write

COVERAGERC = """\
[run]
source = pkg
branch = True
relative_files = True
context = ${COVERAGE_LAYER-local}
"""

PYPROJECT = """\
[tool.ci_metrics]
thresholds = { project_lines = 50, project_branches = 50, diff = false, layers = { c = 10 } }

[tool.ci_metrics.layers.a]
owns = ["pkg/a.py"]
tests = ["run_a.py"]
python = ["3.11"]

[tool.ci_metrics.layers.b]
owns = ["pkg/b.py"]
tests = ["run_b.py"]
python = ["3.11"]

[tool.ci_metrics.layers.c]
owns = ["pkg/shared.py"]
tests = ["run_c.py"]
python = ["3.11"]
"""

SHARED = """\
def classify(n):
    if n > 0:
        return "pos"
    elif n < 0:
        return "neg"
    return "zero"


def total(items):
    result = 0
    for item in items:
        if item:
            result += item
    return result


def never(flag):
    if flag:
        return 1
    return 2
"""

A_V1 = """\
from pkg.shared import classify


def a_only(x):
    if x:
        return classify(1)
    return "none"
"""

A_V2 = """\
from pkg.shared import classify


def a_only(x, y=0):
    if x and y:
        return classify(y)
    if x:
        return classify(1)
    return "none"
"""

B = """\
from pkg.shared import classify, total


def b_only():
    return classify(-1), total([0, 2])
"""

RUNS = {
    "a": "from pkg.a import a_only\n\na_only(True)\n",
    "b": "from pkg.b import b_only\n\nb_only()\n",
    "c": "from pkg.shared import classify, total\n\nclassify(0)\ntotal([])\n",
}

JUNIT = (
    '<testsuites><testsuite name="pytest" tests="1">'
    '<testcase classname="run_{layer}" name="test_{layer}" time="0.1"/>'
    "</testsuite></testsuites>"
)


@dataclass(frozen=True)
class CarryProject:
    root: Path
    main: str
    feature: str

    def data(self, folder: str) -> Path:
        return self.root / folder / ".coverage"

    def results(self, folder: str) -> Path:
        return self.root / folder / "results"

    @property
    def snapshots(self) -> Path:
        return self.root / "results" / "snapshots"

    def coverage_json(self, folder: str) -> dict:
        """coverage.py's own JSON report of ``folder``'s data (every layer's, for ``all``)."""
        out = self.root / folder / "coverage.json"
        coverage(self.root, "json", f"--data-file={self.data(folder)}", "-o", str(out))
        return json.loads(out.read_text())["files"]


def measure(root: Path, folder: str, layers: tuple[str, ...]) -> None:
    """Run ``layers`` into ``folder/`` (one data file each, then combined) with their JUnit."""
    target = root / folder
    for layer in layers:
        data = target / "layers" / f".coverage.{layer}"
        data.parent.mkdir(parents=True, exist_ok=True)
        coverage(root, "run", f"--data-file={data}", f"run_{layer}.py", COVERAGE_LAYER=layer)
        write(target / "results" / layer, "junit.xml", JUNIT.format(layer=layer))
    coverage(
        root,
        "combine",
        "--keep",
        f"--data-file={target / '.coverage'}",
        *(str(target / "layers" / f".coverage.{layer}") for layer in layers),
    )


def collect(root: Path, folder: str, output: Path, sha: str, *extra: str) -> str:
    """``ci-metrics collect`` of ``folder``'s data and results; returns what it said."""
    ctx = make_context()
    code = run(
        [
            "collect",
            "--root",
            str(root),
            "--coverage-file",
            str(root / folder / ".coverage"),
            "--results-dir",
            str(root / folder / "results"),
            "--sha",
            sha,
            "--output",
            str(output),
            *extra,
        ],
        ctx,
    )
    said = ctx.stderr.getvalue()
    assert code == 0, said
    return said


def build_carry_project(root: Path) -> CarryProject:
    git(root, "init", "-q", "-b", "main")
    files = {
        ".coveragerc": COVERAGERC,
        "pyproject.toml": PYPROJECT,
        ".gitignore": "__pycache__/\nbase/\nall/\nfresh/\nresults/\n.coverage*\n",
        "pkg/__init__.py": "",
        "pkg/shared.py": SHARED,
        "pkg/a.py": A_V1,
        "pkg/b.py": B,
        **{f"run_{layer}.py": text for layer, text in RUNS.items()},
    }
    for rel, text in files.items():
        write(root, rel, text)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    main = git(root, "rev-parse", "HEAD").strip()
    measure(root, "base", ("a", "b", "c"))
    collect(root, "base", root / "results" / "snapshots" / f"{main}.json", main)
    git(root, "checkout", "-q", "-b", "feature")
    write(root, "pkg/a.py", A_V2)
    git(root, "commit", "-q", "-am", "change a")
    feature = git(root, "rev-parse", "HEAD").strip()
    measure(root, "all", ("a", "b", "c"))
    measure(root, "fresh", ("a",))
    return CarryProject(root, main, feature)
