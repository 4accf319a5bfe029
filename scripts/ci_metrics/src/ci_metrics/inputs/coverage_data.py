"""Read combined coverage data exactly as ``coverage report`` does, through coverage.py.

coverage.py itself finds and reads its configuration (``--rcfile``, ``COVERAGE_RCFILE``,
``.coveragerc``, ``setup.cfg``, ``tox.ini``, ``pyproject.toml``, in its own order), applies
``[paths]``, ``omit``, ``include`` and the exclusion rules, chooses the files to report
(with ``source``/``source_pkgs``, the never-imported ones it recorded during the run) and
analyses each of them: this module takes the analyses from the very function its text,
XML and JSON reports iterate over (``coverage.report_core.get_analysis_to_report``), maps
each reported file onto the git work tree and condenses it into the snapshot's shape:
statements, missing lines, branch exits, multi-line statement spans and the layer that
ran each statement, and the branch destinations each layer's tests took (coverage.py's
arcs queried per layer's contexts, mapped as its analysis maps them). Nothing of
coverage.py's analysis is rebuilt here.

Those are internals of coverage.py (its public JSON report gives the same figures, but
costs regions, a JSON round trip and a second tokenization of every file), so
``pyproject.toml`` caps coverage.py at the versions this was tested with; the tooling
tests and the corpus check compare the result with coverage.py's own JSON report.

A layer is the static part of a context (``api`` or ``api|tests/x.py::test_y|run``); a
context that names no configured layer (no static context, or pytest-cov's test ids
alone) goes to ``default_layer`` when one is configured, and is reported otherwise.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import coverage
from coverage.data import CoverageData
from coverage.exceptions import CoverageException, NoDataError, NoSource, NotPython
from coverage.plugin import FileReporter
from coverage.report_core import get_analysis_to_report
from coverage.results import Analysis

from ci_metrics.errors import InputError
from ci_metrics.model.lineranges import to_ranges

# Below this many files, starting processes costs more than sharing the work saves.
PARALLEL_MIN_FILES = 200
DIFFERENT_TREE_HINT = (
    "if the data was recorded in another checkout, container or site-packages, map its "
    "paths with a [paths] section in the coverage configuration "
    "(https://coverage.readthedocs.io/en/latest/config.html#paths)"
)
GENERATED_HINT = (
    "git ignores it, so it is generated at build time (setuptools-scm's _version.py, say): "
    "build or install the project in this checkout before collecting, or leave the file "
    "out with `omit` in the coverage configuration"
)
# coverage.py's NoSource message: "No source for code: '<file>'." (and a help link).
_NO_SOURCE = re.compile(r"No source for code: '(.+?)'")


class MissingSource(InputError):
    """The data names a source file this checkout lacks (``path``, as coverage.py names
    it after ``[paths]``); ``ignored``: git ignores that path (a generated file)."""

    def __init__(self, path: str, ignored: bool = False) -> None:
        super().__init__(path, ignored)
        self.path = path
        self.ignored = ignored

    def __str__(self) -> str:
        hint = GENERATED_HINT if self.ignored else DIFFERENT_TREE_HINT
        return f"the coverage data names {self.path}, which is not in this checkout: {hint}"


@dataclass(frozen=True)
class FileCoverage:
    """Coverage of one source file, in the snapshot's JSON-ready shape."""

    path: str
    statements: list[list[int]]
    missing: list[list[int]]
    multiline: list[list[int]]
    branches: dict[str, list[Any]]
    layers: dict[str, list[list[int]]]
    # layer -> branch line -> the destinations that layer's tests took from it
    layer_branches: dict[str, dict[str, list[int]]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The snapshot entry for this file (the path is the key)."""
        return {
            "statements": self.statements,
            "missing": self.missing,
            "multiline": self.multiline,
            "branches": self.branches,
            "layers": self.layers,
            "layer_branches": self.layer_branches,
        }


@dataclass(frozen=True)
class LayerRules:
    """How contexts become layers: the configured layer names and the default layer."""

    layers: frozenset[str]
    default: str | None = None

    def layer_of(self, context: str) -> str | None:
        """The layer a context belongs to, or ``None`` when it names none."""
        static = context.split("|", 1)[0]
        if static in self.layers:
            return static
        return self.default


@dataclass
class CoverageReading:
    """What ``read_coverage`` found: the files, and what it could not attribute."""

    files: list[FileCoverage]
    branch_data: bool
    unattributed: dict[str, int] = field(default_factory=dict)  # context -> statements
    outside_worktree: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # work-tree path -> coverage's name
    config_files: list[str] = field(default_factory=list)  # coverage.py's configuration read


def coverage_version() -> str:
    """The coverage.py version doing the analysis (for messages and the snapshot)."""
    return coverage.__version__


def default_data_file(project: Path, rcfile: Path | None) -> Path:
    """The data file coverage.py would read in ``project`` (``COVERAGE_FILE``, ``data_file``)."""
    config = _config(rcfile)
    try:
        with contextlib.chdir(project):
            option = coverage.Coverage(config_file=config).get_option("run:data_file")
    except CoverageException as exc:
        raise InputError(f"invalid coverage configuration: {exc}") from None
    return project / str(option)


def combine_data(
    data_file: Path, inputs: Iterable[Path], project: Path, rcfile: Path | None
) -> None:
    """``coverage combine --keep``: merge ``inputs`` (files or folders) into ``data_file``."""
    paths = [str(p.resolve()) for p in inputs]
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise InputError(f"coverage data to combine not found: {', '.join(missing)}")
    target, config = str(data_file.resolve()), _config(rcfile)
    try:
        with contextlib.chdir(project):
            cov = coverage.Coverage(data_file=target, config_file=config)
            try:
                cov.combine(paths, strict=True, keep=True)
                cov.save()
            finally:
                # An open SQLite connection left to the garbage collector is a
                # ResourceWarning from Python 3.13 on.
                cov.get_data().close(force=True)
    except NoDataError:
        raise InputError(
            f"no coverage data files in {', '.join(paths)}: did the layers run with coverage?"
        ) from None
    except (CoverageException, OSError) as exc:
        raise InputError(f"cannot combine coverage data: {exc}") from None


def _config(rcfile: Path | None) -> str | bool:
    # True is coverage.py's own search: COVERAGE_RCFILE, .coveragerc, setup.cfg, tox.ini,
    # pyproject.toml in the current directory.
    return str(rcfile.resolve()) if rcfile is not None else True


@contextlib.contextmanager
def _loaded(data_file: Path, project: Path, rcfile: Path | None) -> Iterator[coverage.Coverage]:
    """coverage.py in ``project`` with ``data_file`` loaded and ``[paths]`` applied."""
    if not data_file.is_file():
        parallel = sorted(data_file.parent.glob(f"{data_file.name}.*"))
        hint = f" (combine {parallel[0].name} and the others first: --combine)" if parallel else ""
        raise InputError(f"coverage data not found: {data_file}{hint}")
    source, config = str(data_file.resolve()), _config(rcfile)
    try:
        with contextlib.chdir(project):
            cov = coverage.Coverage(data_file=source, config_file=config)
            # The data object load() reads into; [paths] below may put a remapped copy
            # in its place.
            read = cov.get_data()
            try:
                cov.load()
                if not read.measured_files():
                    raise InputError(f"coverage data {data_file} holds no measured files")
                # What every report command does first: apply [paths] to the data.
                cov._prepare_data_for_reporting()
                yield cov
            finally:
                # No connection left to the garbage collector (a ResourceWarning
                # from Python 3.13 on): the data read and any remapped copy.
                cov.get_data().close(force=True)
                read.close(force=True)
    except NoSource as exc:
        named = _NO_SOURCE.search(str(exc))
        raise MissingSource(named.group(1) if named else str(exc)) from None
    except NotPython as exc:
        raise InputError(f"cannot analyse {exc}") from None
    except CoverageException as exc:
        raise InputError(f"cannot report coverage data {data_file}: {exc}") from None
    except (OSError, SyntaxError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot analyse the sources of {data_file}: {exc}") from None


@dataclass(frozen=True)
class _Share:
    """The part of the files one process analyses (``names=None``: all of them)."""

    data_file: Path
    project: Path
    worktree: Path
    rules: LayerRules
    rcfile: Path | None
    names: list[str] | None


@dataclass(frozen=True)
class _BranchSources:
    """A reported file's branch lines and their possible destinations, for the layer query."""

    index: int  # its place in ``CoverageReading.files``
    filename: str  # as the data names it
    reporter: FileReporter
    destinations: dict[int, set[int]]


def _read_share(share: _Share) -> CoverageReading:
    reading = CoverageReading(files=[], branch_data=False)
    top = share.worktree.resolve()
    pending: list[_BranchSources] = []
    with _loaded(share.data_file, share.project, share.rcfile) as cov:
        reading.config_files = list(cov.config.config_files_read)
        data = cov.get_data()
        try:
            for reporter, analysis in get_analysis_to_report(cov, share.names):
                contexts = data.contexts_by_lineno(analysis.filename)
                name = reporter.relative_filename()
                reading.branch_data = reading.branch_data or analysis.has_arcs
                source = (share.project / reporter.filename).resolve()
                try:
                    path = source.relative_to(top).as_posix()
                except ValueError:
                    path = source.as_posix()
                    reading.outside_worktree.append(path)
                if path in reading.names:
                    raise InputError(
                        f"coverage.py reports {reading.names[path]} and {name} as one file {path}"
                    )
                reading.names[path] = name
                reading.files.append(
                    _condense(path, reporter, analysis, contexts, share.rules, reading)
                )
                if analysis.has_arcs and analysis.branch_stats():
                    pending.append(
                        _BranchSources(
                            len(reading.files) - 1,
                            analysis.filename,
                            reporter,
                            _branch_destinations(analysis),
                        )
                    )
        except NoDataError:
            pass  # nothing of this share is reported (omit, include): the caller decides
        _add_layer_branches(data, pending, share.rules, reading)
    return reading


def _branch_destinations(analysis: Analysis) -> dict[int, set[int]]:
    """Each branch line's possible destinations, as coverage.py's analysis counts them."""
    lines = analysis.branch_stats()
    destinations: dict[int, set[int]] = {line: set() for line in lines}
    for start, end in analysis.arc_possibilities:
        if start in destinations:
            destinations[start].add(end)
    return destinations


def _add_layer_branches(
    data: CoverageData,
    pending: list[_BranchSources],
    rules: LayerRules,
    reading: CoverageReading,
) -> None:
    """Fill in each file's ``layer_branches``: one arc query per file and layer, limited
    to the contexts of that layer (``set_query_contexts``), its arcs mapped as coverage.py
    maps executed arcs (multi-line statements to their first line, a line's arc to
    itself ignored)."""
    if not pending:
        return
    by_layer: dict[str, list[str]] = {}
    for context in data.measured_contexts():
        layer = rules.layer_of(context)
        if layer is not None:
            by_layer.setdefault(layer, []).append(context)
    try:
        for layer, contexts in sorted(by_layer.items()):
            # One expression for all of a layer's contexts (pytest-cov's dynamic
            # contexts are one per test): coverage.py ORs one REGEXP per pattern.
            data.set_query_contexts(["^(?:" + "|".join(map(re.escape, contexts)) + ")$"])
            for source in pending:
                taken: dict[str, list[int]] = {}
                arcs = source.reporter.translate_arcs(data.arcs(source.filename) or [])
                for start, end in arcs:
                    if start != end and end in source.destinations.get(start, ()):
                        taken.setdefault(str(start), []).append(end)
                if taken:
                    reading.files[source.index].layer_branches[layer] = {
                        line: sorted(set(ends)) for line, ends in sorted(taken.items())
                    }
    finally:
        data.set_query_contexts(None)


def read_coverage(
    data_file: Path,
    *,
    project: Path,
    worktree: Path,
    rules: LayerRules,
    rcfile: Path | None = None,
    jobs: int = 1,
) -> CoverageReading:
    """Every file ``coverage report`` reports for ``data_file``, keyed by work-tree path.

    coverage.py runs in ``project`` (where it finds its configuration and resolves
    relative paths); reported names are resolved (symlinks too) and made relative to
    ``worktree``, the top of the git work tree, so that they match ``git diff``.
    With ``jobs`` > 1 and enough files, that many processes share the analysis.
    """
    whole = _Share(data_file, project, worktree, rules, rcfile, None)
    parts: list[CoverageReading]
    names: list[str] = []
    if jobs > 1:
        with _loaded(data_file, project, rcfile) as cov:
            names = sorted(cov.get_data().measured_files())
    if len(names) >= max(PARALLEL_MIN_FILES, 2):
        shares = [replace(whole, names=names[index::jobs]) for index in range(jobs)]
        # spawn: a fresh interpreter per worker, never a fork of a traced process.
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=spawn) as pool:
            parts = list(pool.map(_read_share, shares))
    else:
        parts = [_read_share(whole)]
    reading = CoverageReading(
        files=[], branch_data=any(p.branch_data for p in parts), config_files=parts[0].config_files
    )
    for part in parts:
        for path, name in part.names.items():
            if path in reading.names:
                raise InputError(
                    f"coverage.py reports {reading.names[path]} and {name} as one file {path}"
                )
            reading.names[path] = name
        reading.files.extend(part.files)
        reading.outside_worktree.extend(part.outside_worktree)
        for context, count in part.unattributed.items():
            reading.unattributed[context] = reading.unattributed.get(context, 0) + count
    if not reading.files:
        raise InputError(f"coverage data {data_file}: No data to report.")
    reading.files.sort(key=lambda f: f.path)
    return reading


def _condense(
    path: str,
    reporter: FileReporter,
    analysis: Analysis,
    contexts: dict[int, list[str]],
    rules: LayerRules,
    reading: CoverageReading,
) -> FileCoverage:
    statements = analysis.statements
    # Python files know their multi-line statements; other reporters (plugins) have none.
    multiline: dict[int, int] = getattr(reporter, "multiline_map", dict)()
    spans: dict[int, int] = {}
    for line, first in multiline.items():
        # Docstrings and excluded code map lines too: keep statements only.
        if first in statements:
            spans[first] = max(spans.get(first, first), line)
    branches: dict[str, list[Any]] = {}
    if analysis.has_arcs:
        never = analysis.missing_branch_arcs()
        for line, (exits, _taken) in sorted(analysis.branch_stats().items()):
            branches[str(line)] = [exits, sorted(never.get(line, []))]
    per_layer: dict[str, set[int]] = {}
    for line, names in contexts.items():
        first = multiline.get(line, line)
        if first not in statements:
            continue
        for context in names:
            layer = rules.layer_of(context)
            if layer is None:
                reading.unattributed[context] = reading.unattributed.get(context, 0) + 1
            else:
                per_layer.setdefault(layer, set()).add(first)
    return FileCoverage(
        path=path,
        statements=to_ranges(statements),
        missing=to_ranges(analysis.missing),
        multiline=[[first, last] for first, last in sorted(spans.items())],
        branches=branches,
        layers={layer: to_ranges(lines) for layer, lines in sorted(per_layer.items())},
    )
