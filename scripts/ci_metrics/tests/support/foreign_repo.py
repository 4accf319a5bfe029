"""Build a repository laid out the way a stranger's would be, and measure it as two layers.

Nothing here follows this repository's conventions: coverage.py runs with its default
settings (absolute paths in the data, no ``relative_files``), its configuration lives in
``pyproject.toml``, ``setup.cfg``, ``tox.ini`` or a file named by ``--rcfile`` /
``COVERAGE_RCFILE``, the package sits under ``src/`` with a type-checking-only folder
that has no ``__init__.py``, and the project may sit in a sub-directory of the git work
tree. The two layers record a static context each (``unit`` and ``e2e``), optionally with
pytest-cov style dynamic contexts appended (``unit|tests/test_unit.py::test_grade|run``),
or only the test ids, as ``pytest --cov-context=test`` records them without a static context.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from support.project import coverage, git, write

CORE_V1 = """\
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pkg.typings.stub import Alias


def grade(score: int) -> str:
    if score >= 90:
        return "A"
    return label(
        score,
        "B",
    )


def label(score: int, text: str) -> str:
    return f"{text}{score}"
"""

CORE_V2 = """\
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pkg.typings.stub import Alias


def grade(score: int) -> str:
    if score >= 90:
        return "A"
    return label(
        score,
        "C",
    )


def label(score: int, text: str) -> str:
    if score < 0:
        raise ValueError(score)
    return f"{text}{score}"


def untested(flag: bool) -> int:
    if flag:
        return 1
    return 2
"""

STUB = "Alias = int\n"
# The unit layer grades a good score; the e2e layer a poor one (the only caller of label).
RUN_UNIT = "from pkg.core import grade\n\ngrade(95)\n"
RUN_E2E = "from pkg.core import grade\n\ngrade(10)\n"

CONFIGS = {
    "pyproject.toml": """\
[tool.coverage.run]
branch = true
{source}

[tool.coverage.report]
exclude_also = ["if TYPE_CHECKING:"]
""",
    "setup.cfg": """\
[coverage:run]
branch = True
{source}

[coverage:report]
exclude_also =
    if TYPE_CHECKING:
""",
    "tox.ini": """\
[coverage:run]
branch = True
{source}

[coverage:report]
exclude_also =
    if TYPE_CHECKING:
""",
    "coverage.cfg": """\
[run]
branch = True
{source}

[report]
exclude_also =
    if TYPE_CHECKING:
""",
}
SOURCES = {
    ("pyproject.toml", "source_pkgs"): 'source_pkgs = ["pkg"]',
    ("pyproject.toml", "source"): 'source = ["src/pkg"]',
    ("ini", "source_pkgs"): "source_pkgs = pkg",
    ("ini", "source"): "source = src/pkg",
}


@dataclass(frozen=True)
class ForeignRepo:
    """Where the work tree and the project are, and how coverage was configured."""

    worktree: Path
    project: Path
    prefix: str  # the project's folder inside the work tree ("" or "python/")
    rcfile: Path | None  # the file to pass as --rcfile / COVERAGE_RCFILE, if not found by name

    @property
    def data_file(self) -> Path:
        return self.project / ".coverage"

    def coverage_json(self, *extra: str) -> dict:
        """coverage.py's own JSON report of the combined data, run in the project."""
        out = self.project / "truth.json"
        _coverage(self, "json", "--show-contexts", "-o", str(out), *extra)
        return json.loads(out.read_text(encoding="utf-8"))


def measure(repo: ForeignRepo, layer: str, script: str) -> None:
    """Run ``script`` as ``layer`` again and combine it into the project's ``.coverage``."""
    _coverage(repo, "run", "-p", f"--context={layer}", script)
    _coverage(repo, "combine", "--append")


def _coverage(repo: ForeignRepo, *args: str) -> None:
    """coverage.py in the project, its package importable, its configuration named if need be."""
    rcfile = {"COVERAGE_RCFILE": str(repo.rcfile)} if repo.rcfile is not None else {}
    coverage(repo.project, *args, PYTHONPATH=str(repo.project / "src"), **rcfile)


def build_foreign_repo(
    root: Path,
    *,
    config: str = "pyproject.toml",
    source: str = "source_pkgs",
    subdir: str = "",
    contexts: str = "static",
    settings: str = 'layers = { unit = ["src/pkg"], e2e = [] }\n',
) -> ForeignRepo:
    """A git repository (``main`` + ``feature`` checked out) with combined two-layer data."""
    worktree = root
    project = root / subdir if subdir else root
    project.mkdir(parents=True, exist_ok=True)
    git(worktree, "init", "-q", "-b", "main")
    kind = "pyproject.toml" if config == "pyproject.toml" else "ini"
    text = CONFIGS[config].format(source=SOURCES[(kind, source)])
    pyproject = "[tool.ci_metrics]\n" + settings
    if config == "pyproject.toml":
        pyproject += "\n" + text
    else:
        write(project, config, text)
    write(project, "pyproject.toml", pyproject)
    write(project, "src/pkg/__init__.py", "")
    write(project, "src/pkg/core.py", CORE_V1)
    write(project, "src/pkg/typings/stub.py", STUB)
    write(project, "run_unit.py", RUN_UNIT)
    write(project, "run_e2e.py", RUN_E2E)
    git(worktree, "add", "-A")
    git(worktree, "commit", "-q", "-m", "base")
    git(worktree, "checkout", "-q", "-b", "feature")
    write(project, "src/pkg/core.py", CORE_V2)
    git(worktree, "commit", "-q", "-am", "feature")
    # Only a file with another name than the four coverage.py looks for needs naming.
    rcfile = project / config if config == "coverage.cfg" else None
    repo = ForeignRepo(worktree, project, f"{subdir}/" if subdir else "", rcfile)
    for layer in ("unit", "e2e"):
        test_id = f"tests/test_{layer}.py::test_grade|run"
        context = {"static": layer, "dynamic": f"{layer}|{test_id}", "test-only": test_id}[contexts]
        _coverage(repo, "run", "-p", f"--context={context}", f"run_{layer}.py")
    _coverage(repo, "combine")
    return repo
