"""What ``init`` finds in a repository: its packages, its test folders, its coverage setup.

Read-only: the folders are listed, and coverage.py reads its own configuration the
way ``coverage report`` would in the project folder (which file, ``branch``,
``source``/``source_pkgs``, ``[paths]``). Each finding says where it came from, so
``init`` can explain every line it writes.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

from ci_metrics.errors import InputError

TEST_FOLDERS = ("tests", "test", "testing")
#: Top-level folders that are never the project's package, even with an __init__.py.
NOT_PACKAGES = frozenset({*TEST_FOLDERS, "docs", "doc", "examples", "benchmarks", "scripts"})
#: The layer that owns the packages when the tests are split into several folders.
UNIT = "unit"


@dataclass(frozen=True)
class TestFolder:
    """A layer's tests: its name (the static coverage context) and its folder."""

    __test__ = False  # a finding, not a pytest test class

    layer: str
    path: str


@dataclass
class ProjectScan:
    """The findings, each with where it came from (for the comments ``init`` writes)."""

    packages: list[str] = field(default_factory=list)
    packages_from: str = ""
    tests: list[TestFolder] = field(default_factory=list)
    coverage_config: list[str] = field(default_factory=list)
    branch: bool = False
    paths_mapped: bool = False

    @property
    def owner(self) -> str | None:
        """The layer whose tests answer for the packages: ``unit``, else the first."""
        names = [folder.layer for folder in self.tests]
        return UNIT if UNIT in names else (names[0] if names else None)


def scan_project(project: Path) -> ProjectScan:
    """Findings for the repository at ``project`` (the folder of its pyproject.toml)."""
    scan = ProjectScan()
    source = _read_coverage_config(project, scan)
    if source:
        scan.packages, scan.packages_from = source, "the coverage configuration's source"
    else:
        scan.packages, scan.packages_from = _packages(project), "the package folders"
    scan.tests = _test_folders(project)
    return scan


def _read_coverage_config(project: Path, scan: ProjectScan) -> list[str]:
    """Fill the coverage findings; return the owned paths its ``source`` names, if any."""
    import coverage
    from coverage.exceptions import CoverageException

    try:
        with contextlib.chdir(project):
            cov = coverage.Coverage(config_file=True)
            scan.coverage_config = [
                Path(name).relative_to(project.resolve()).as_posix()
                if Path(name).is_relative_to(project.resolve())
                else name
                for name in cov.config.config_files_read
            ]
            scan.branch = bool(cov.get_option("run:branch"))
            scan.paths_mapped = bool(cov.get_option("paths"))
            source = _strings(cov.get_option("run:source"))
            packages = _strings(cov.get_option("run:source_pkgs"))
    except CoverageException as exc:
        raise InputError(f"invalid coverage configuration: {exc}") from None
    found = [path.strip("/") for path in source if (project / path).is_dir()]
    for package in packages:
        folder = package.replace(".", "/")
        found += [p for p in (f"src/{folder}", folder) if (project / p).is_dir()][:1]
    return found


def _strings(option: object) -> list[str]:
    """A list option of coverage.py's (``None`` when unset)."""
    return [str(item) for item in option] if isinstance(option, list) else []


def _packages(project: Path) -> list[str]:
    """``src/<package>`` folders, else the top-level ones (an ``__init__.py`` each)."""
    src = project / "src"
    if src.is_dir():
        found = sorted(f"src/{p.name}" for p in src.iterdir() if (p / "__init__.py").is_file())
        if found:
            return found
    return sorted(
        p.name
        for p in project.iterdir()
        if p.is_dir()
        and p.name not in NOT_PACKAGES
        and not p.name.startswith(".")
        and (p / "__init__.py").is_file()
    )


def _holds_tests(folder: Path) -> bool:
    return any(folder.rglob("test_*.py")) or any(folder.rglob("*_test.py"))


def _test_folders(project: Path) -> list[TestFolder]:
    """One layer per test sub-folder when there are several (``tests/unit``,
    ``tests/e2e``), else one ``unit`` layer for the whole test folder."""
    for name in TEST_FOLDERS:
        root = project / name
        if not root.is_dir() or not _holds_tests(root):
            continue
        subfolders = sorted(
            p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))
        )
        layers = [p for p in subfolders if _holds_tests(p)]
        if len(layers) >= 2:
            return [TestFolder(p.name.replace("|", "_"), f"{name}/{p.name}") for p in layers]
        return [TestFolder(UNIT, name)]
    return []
