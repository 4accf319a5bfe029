"""Read combined coverage data exactly as ``coverage report`` does, through coverage.py's API.

coverage.py itself finds and reads its configuration (``--rcfile``, ``COVERAGE_RCFILE``,
``.coveragerc``, ``setup.cfg``, ``tox.ini``, ``pyproject.toml``, in its own order), applies
``[paths]``, ``omit``, ``include`` and the exclusion rules, and chooses the files to report
(with ``source``/``source_pkgs``, the never-imported ones it recorded during the run).
Its public JSON report (``show_contexts``) is the one analysis of every file; this module
maps each reported file name onto the git work tree and condenses the report into the
snapshot's shape: statements, missing lines, branch exits, multi-line statement spans and
the layer that ran each statement.

A layer is the static part of a context (``api`` or ``api|tests/x.py::test_y|run``); a
context that names no configured layer (no static context, or pytest-cov's test ids
alone) goes to ``default_layer`` when one is configured, and is reported otherwise.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import coverage
from coverage.exceptions import CoverageException, NoDataError, NoSource

from scripts.ci_metrics.errors import InputError
from scripts.ci_metrics.lineranges import to_ranges
from scripts.ci_metrics.multiline import SourceError, statement_spans

DIFFERENT_TREE_HINT = (
    "the data names files that are not here: if it was recorded in another checkout, "
    "container or site-packages, map its paths with a [paths] section in the coverage "
    "configuration (https://coverage.readthedocs.io/en/latest/config.html#paths)"
)


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
            cov.combine(paths, strict=True, keep=True)
            cov.save()
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


def json_report(data_file: Path, project: Path, rcfile: Path | None) -> dict[str, Any]:
    """coverage.py's JSON report (with contexts) of ``data_file``, run in ``project``."""
    if not data_file.is_file():
        raise InputError(f"coverage data not found: {data_file}")
    source, config = str(data_file.resolve()), _config(rcfile)
    with tempfile.TemporaryDirectory(prefix="ci-metrics-") as tmp:
        out = Path(tmp) / "coverage.json"
        try:
            with contextlib.chdir(project):
                cov = coverage.Coverage(data_file=source, config_file=config)
                cov.load()
                if not cov.get_data().measured_files():
                    raise InputError(f"coverage data {data_file} holds no measured files")
                cov.json_report(outfile=str(out), show_contexts=True, pretty_print=False)
        except NoSource as exc:
            raise InputError(f"{exc}: {DIFFERENT_TREE_HINT}") from None
        except NoDataError as exc:
            raise InputError(f"coverage data {data_file}: {exc}") from None
        except CoverageException as exc:
            raise InputError(f"cannot report coverage data {data_file}: {exc}") from None
        except (OSError, SyntaxError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot analyse the sources of {data_file}: {exc}") from None
        report: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return report


def read_coverage(
    data_file: Path,
    *,
    project: Path,
    worktree: Path,
    rules: LayerRules,
    rcfile: Path | None = None,
) -> CoverageReading:
    """Every file ``coverage report`` reports for ``data_file``, keyed by work-tree path.

    coverage.py runs in ``project`` (where it finds its configuration and resolves
    relative paths); reported names are resolved (symlinks too) and made relative to
    ``worktree``, the top of the git work tree, so that they match ``git diff``.
    """
    report = json_report(data_file, project, rcfile)
    reading = CoverageReading(files=[], branch_data=bool(report["meta"]["branch_coverage"]))
    top = worktree.resolve()
    seen: dict[str, str] = {}
    for name, reported in report["files"].items():
        source = (project / name).resolve()
        try:
            path = source.relative_to(top).as_posix()
        except ValueError:
            path = source.as_posix()
            reading.outside_worktree.append(path)
        if path in seen:
            raise InputError(f"coverage.py reports {seen[path]} and {name} as one file {path}")
        seen[path] = name
        reading.files.append(_condense(path, name, source, reported, rules, reading.unattributed))
    reading.files.sort(key=lambda f: f.path)
    return reading


def _condense(
    path: str,
    name: str,
    source: Path,
    reported: Mapping[str, Any],
    rules: LayerRules,
    unattributed: dict[str, int],
) -> FileCoverage:
    executed = set(reported["executed_lines"])
    missing = set(reported["missing_lines"])
    statements = executed | missing
    branches = _branches(reported)
    summary = reported["summary"]
    exits = sum(count for count, _dests in branches.values())
    if exits != summary.get("num_branches", 0) or sum(
        len(dests) for _count, dests in branches.values()
    ) != summary.get("missing_branches", 0):
        raise InputError(
            f"coverage.py {coverage_version()} reports branches of {name} that do not add up; "
            "this version is not supported"
        )
    spans = _spans(source, name) if statements else {}
    first_line = {line: first for first, last in spans.items() for line in range(first, last + 1)}
    per_layer: dict[str, set[int]] = {}
    for line_text, contexts in (reported.get("contexts") or {}).items():
        first = first_line.get(int(line_text), int(line_text))
        if first not in statements:
            continue
        for context in contexts:
            layer = rules.layer_of(context)
            if layer is None:
                unattributed[context] = unattributed.get(context, 0) + 1
            else:
                per_layer.setdefault(layer, set()).add(first)
    return FileCoverage(
        path=path,
        statements=to_ranges(statements),
        missing=to_ranges(missing),
        multiline=[[first, last] for first, last in sorted(spans.items()) if first in statements],
        branches={str(line): [count, dests] for line, (count, dests) in sorted(branches.items())},
        layers={layer: to_ranges(lines) for layer, lines in sorted(per_layer.items())},
    )


def _branches(reported: Mapping[str, Any]) -> dict[int, tuple[int, list[int]]]:
    """Per branch line: the number of exits and the destinations never taken."""
    exits: dict[int, int] = {}
    never: dict[int, list[int]] = {}
    for start, _end in reported.get("executed_branches", []):
        exits[start] = exits.get(start, 0) + 1
    for start, end in reported.get("missing_branches", []):
        exits[start] = exits.get(start, 0) + 1
        never.setdefault(start, []).append(end)
    return {line: (count, sorted(never.get(line, []))) for line, count in exits.items()}


def _spans(source: Path, name: str) -> dict[int, int]:
    try:
        return statement_spans(source.read_bytes())
    except OSError as exc:
        raise InputError(f"cannot read {name}: {exc.strerror}") from None
    except SourceError as exc:
        raise InputError(f"cannot tokenize {name}: {exc}") from None
