"""Read combined coverage data through coverage.py's API.

For every measured file: statements, missing lines, multi-line statement spans,
branch exits, and the layer (static context) that executed each line. A context
may carry a dynamic part (``api|tests/...::test_x``); the layer is the part before
``|``, and data recorded without a context is attributed to ``local``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import coverage
from coverage.exceptions import CoverageException
from coverage.python import PythonFileReporter
from coverage.results import Analysis

from scripts.ci_metrics.errors import InputError
from scripts.ci_metrics.lineranges import to_ranges

UNLABELLED_LAYER = "local"
PROGRESS_EVERY = 250


@dataclass(frozen=True)
class FileCoverage:
    """Coverage of one source file, in the snapshot's JSON-ready shape."""

    path: str
    statements: list[list[int]]
    missing: list[list[int]]
    multiline: list[list[int]]
    branches: dict[str, list[Any]]
    layers: dict[str, list[list[int]]]

    def to_json(self) -> dict[str, Any]:
        """The snapshot entry for this file (the path is the key)."""
        return {
            "statements": self.statements,
            "missing": self.missing,
            "multiline": self.multiline,
            "branches": self.branches,
            "layers": self.layers,
        }


def layer_of_context(context: str) -> str:
    """The layer named by a coverage context (``api`` or ``api|<test id>``)."""
    return context.split("|", 1)[0] or UNLABELLED_LAYER


def _relative(path: str, root: Path) -> str:
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            candidate = candidate.relative_to(root)
        except ValueError:
            return candidate.as_posix()
    return candidate.as_posix()


def read_coverage(
    data_file: Path,
    root: Path,
    rcfile: Path | None = None,
    progress: Callable[[int, int], None] = lambda _done, _total: None,
) -> list[FileCoverage]:
    """Analyse every Python file measured in ``data_file``; sources are read below ``root``.

    ``progress(done, total)`` is called every 250 files and at the end.
    """
    if not data_file.is_file():
        raise InputError(f"coverage data not found: {data_file}")
    try:
        cov = coverage.Coverage(
            data_file=str(data_file),
            config_file=str(rcfile) if rcfile and rcfile.is_file() else False,
        )
        cov.load()
        data = cov.get_data()
        measured = sorted(data.measured_files())
    except (CoverageException, OSError) as exc:
        raise InputError(f"cannot read coverage data {data_file}: {exc}") from None
    if not measured:
        raise InputError(f"coverage data {data_file} holds no measured files")
    results = []
    names = {_relative(name, root): name for name in measured}
    for rel in unexecuted_sources(cov, root, set(names)):
        names[rel] = rel  # never imported: analysed with no executed lines
    for done, (rel, name) in enumerate(sorted(names.items()), start=1):
        if rel.endswith(".py"):
            results.append(_analyse_file(cov, data, name, root / rel, rel))
        if done % PROGRESS_EVERY == 0 or done == len(names):
            progress(done, len(names))
    return results


def unexecuted_sources(cov: coverage.Coverage, root: Path, measured: set[str]) -> list[str]:
    """Python files under ``[run] source`` directories that no test imported.

    ``coverage report`` counts them as 0% covered, so the snapshot does too.
    ``[run] omit`` patterns apply, matched against relative and absolute paths.
    """
    sources = cov.get_option("run:source")
    omit_option = cov.get_option("run:omit")
    omit = [str(p) for p in omit_option] if isinstance(omit_option, list) else []
    found = []
    for source in sources if isinstance(sources, list) else []:
        base = root / str(source)
        for path in sorted(base.rglob("*.py")) if base.is_dir() else []:
            rel = path.relative_to(root).as_posix()
            absolute = path.resolve().as_posix()
            skipped = any(fnmatch(rel, p) or fnmatch(absolute, p) for p in omit)
            if rel not in measured and not skipped:
                found.append(rel)
    return found


def _analyse_file(
    cov: coverage.Coverage, data: coverage.CoverageData, name: str, source: Path, rel: str
) -> FileCoverage:
    if not source.is_file():
        raise InputError(f"source of measured file {rel} not found under {source.parent}")
    try:
        reporter = PythonFileReporter(str(source), coverage=cov)
        statements = reporter.lines()
        excluded = reporter.excluded_lines()
        multiline_map = reporter.multiline_map()
        has_arcs = data.has_arcs()
        executed = reporter.translate_lines(data.lines(name) or [])
        analysis = Analysis(
            precision=2,
            filename=rel,
            has_arcs=has_arcs,
            statements=statements,
            excluded=excluded,
            executed=executed,
            arc_possibilities_set=reporter.arcs() if has_arcs else set(),
            arcs_executed_set=reporter.translate_arcs(data.arcs(name) or []) if has_arcs else set(),
            exit_counts=reporter.exit_counts() if has_arcs else {},
            no_branch=reporter.no_branch_lines() if has_arcs else set(),
        )
        by_line = data.contexts_by_lineno(name)
    except (CoverageException, SyntaxError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot analyse {rel}: {exc}") from None
    spans: dict[int, int] = {}
    for line, first in multiline_map.items():
        # Multi-line docstrings and excluded code map lines too; keep statements only.
        if line != first and first in statements:
            spans[first] = max(spans.get(first, first), line)
    missing_arcs = analysis.missing_branch_arcs()
    branches = {
        str(line): [exits, sorted(missing_arcs.get(line, []))]
        for line, (exits, _taken) in sorted(analysis.branch_stats().items())
    }
    per_layer: dict[str, set[int]] = {}
    for line, contexts in by_line.items():
        first = multiline_map.get(line, line)
        if first not in statements:
            continue
        for context in contexts:
            per_layer.setdefault(layer_of_context(context), set()).add(first)
    return FileCoverage(
        path=rel,
        statements=to_ranges(statements),
        missing=to_ranges(analysis.missing),
        multiline=[[first, last] for first, last in sorted(spans.items())],
        branches=branches,
        layers={layer: to_ranges(lines) for layer, lines in sorted(per_layer.items())},
    )


def default_rcfile(root: Path) -> Path | None:
    """``.coveragerc`` in ``root`` when present (exclusion rules must match the run's)."""
    candidate = root / ".coveragerc"
    return candidate if candidate.is_file() else None
