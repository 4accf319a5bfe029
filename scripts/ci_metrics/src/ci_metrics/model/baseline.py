"""The rolling baseline: the last N snapshots of the default branch, condensed.

``baseline.json`` keeps per-run totals and per-layer figures (for trends and runtime
bands), per-file coverage of the newest run, and per-test histories (durations and
one outcome letter per run: ``P`` passed, ``F`` failed, ``S`` skipped, ``R`` failed
then passed on rerun, ``X`` failed as expected (xfail), ``U`` passed unexpectedly (xpass),
``Q`` failed while quarantined),
and, for runs merged with mutation scores, each mutated module's score.
Beside the runs it keeps their **repeats**: other runs of a run's commit (the
default branch's push run of the same commit, say), with the coverage figures
only, which the noise counts as runs of their commit (:mod:`ci_metrics.model.noise`,
:mod:`ci_metrics.model.repeats`).
It also yields the ``.test_durations`` map pytest-split reads.

:class:`Baseline` is that document, typed like the snapshot: frozen records
read with msgspec's strict typed decoding (:meth:`Baseline.from_json`) and
written back in the same JSON format (:meth:`Baseline.to_json`): the schema and
version are unchanged, and artifacts written before the types keep loading. A
baseline without repeats is written without the ``repeats`` field, as before it
existed; code that predates it reads a file with repeats and ignores them.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec
from msgspec import Struct

from ci_metrics.errors import InputError
from ci_metrics.inputs.fileio import read_json
from ci_metrics.inputs.mutation_scores import MutationScores
from ci_metrics.inputs.problems import find_problems
from ci_metrics.model.metrics import file_totals, layer_summary, project_totals
from ci_metrics.model.outcomes import TestResult
from ci_metrics.model.snapshot import Snapshot
from ci_metrics.settings import Settings

SCHEMA = "ci-metrics-baseline"
VERSION = 1


def _letter(result: TestResult) -> str:
    if result.flaky:
        return "R"
    letters = {"passed": "P", "failed": "F", "xfailed": "X", "xpassed": "U", "quarantined": "Q"}
    return letters.get(result.outcome, "S")


SLOW_NOISE_FLOOR = 0.1  # seconds: smaller slow-downs are timer noise
MIN_BAND_SAMPLES = 5  # fewer baseline runs have no meaningful p95


def quantile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) with linear interpolation; values must not be empty."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class RunTotals(Struct, frozen=True):
    """Project line and branch coverage of one run (``None``: nothing measured)."""

    lines: float | None
    branches: float | None


class LayerFigures(Struct, frozen=True):
    """One layer in one run: outcome counts, runtime and owned-path line coverage."""

    passed: int = 0
    failed: int = 0
    skipped: int = 0
    xfailed: int = 0
    xpassed: int = 0
    duration: float | None = None
    # metrics.WALL or metrics.TEST_SUM; None in runs recorded before kinds were kept.
    duration_kind: str | None = None
    coverage: float | None = None


class ModuleScore(Struct, frozen=True):
    """One mutated module's score in the run it was recorded with."""

    mutants: int
    detected: int
    score: float | None


class BaselineRun(Struct, frozen=True, omit_defaults=True):
    """One nightly run: which commit, its totals, its layers, its mutation scores."""

    sha: str
    run_id: str
    created_at: str
    totals: RunTotals
    layers: dict[str, LayerFigures]
    #: Only for runs merged with mutation scores.
    mutation: dict[str, ModuleScore] | None = None
    #: Tests that failed and then passed on a rerun (absent from runs recorded before).
    flaky: int | None = None


class Repeat(Struct, frozen=True):
    """Another run of a nightly run's commit: its project totals and each layer's
    owned-path line coverage (``None``: the layer measured nothing there)."""

    sha: str
    run_id: str
    created_at: str
    totals: RunTotals
    coverage: dict[str, float | None]


class FileFigures(Struct, frozen=True):
    """One file's coverage in the newest run."""

    lines: float | None
    branches: float | None


class TestHistory(Struct, frozen=True, omit_defaults=True):
    """One test across the baseline window."""

    __test__ = False  # a domain object, not a pytest test class

    layer: str
    durations: list[float]
    outcomes: str
    #: Runs in a row the test was absent from (it ages out after a whole window).
    missing_for: int = 0

    @property
    def median(self) -> float | None:
        """Median duration in seconds."""
        return statistics.median(self.durations) if self.durations else None

    @property
    def p95(self) -> float | None:
        """95th percentile duration in seconds."""
        return quantile(self.durations, 0.95) if self.durations else None

    @property
    def flakes(self) -> int:
        """Runs in which the test failed and then passed on a rerun."""
        return self.outcomes.count("R")

    @property
    def flake_rate(self) -> float:
        """Share of runs that were flaky."""
        return self.flakes / len(self.outcomes) if self.outcomes else 0.0


class Baseline(Struct, frozen=True):
    """``baseline.json``: the newest ``window`` runs, oldest first, per-file figures of the
    newest run, each test's history, and the repeats of the runs' commits, oldest first."""

    window: int
    runs: list[BaselineRun] = []
    files: dict[str, FileFigures] = {}
    tests: dict[str, TestHistory] = {}
    repeats: list[Repeat] = []

    @classmethod
    def from_json(cls, doc: Any, source: str) -> Baseline:
        """``doc`` if it is a baseline this version reads; else an :class:`InputError`
        that starts with ``source`` and says what is wrong."""
        if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
            raise InputError(f"{source} is invalid: not a ci-metrics baseline")
        if doc.get("version") != VERSION:
            raise InputError(f"{source} is invalid: unsupported version {doc.get('version')!r}")
        for key in ("runs", "files", "tests"):
            if key not in doc:
                raise InputError(f"{source} is invalid: {key}: is required")
        try:
            return msgspec.convert(doc, cls, strict=True)
        except msgspec.ValidationError:
            problem = find_problems(cls, doc)[0]
        raise InputError(f"{source} is invalid: {problem}")

    def to_json(self) -> dict[str, Any]:
        """The JSON document (schema and version first; ``repeats`` only when there are)."""
        doc: dict[str, Any] = msgspec.to_builtins(self)
        if not self.repeats:
            del doc["repeats"]
        return {"schema": SCHEMA, "version": VERSION, **doc}

    @property
    def newest(self) -> BaselineRun | None:
        """The newest run, if any."""
        return self.runs[-1] if self.runs else None


def _figures(summary: Mapping[str, Any]) -> LayerFigures:
    """A layer's summary as the baseline keeps it (outcomes it does not count left out)."""
    known = LayerFigures.__struct_fields__
    return LayerFigures(**{name: value for name, value in summary.items() if name in known})


def windowed_repeats(repeats: list[Repeat], runs: list[BaselineRun], window: int) -> list[Repeat]:
    """The repeats whose commit still has a run in the window, at most ``window`` of them:
    a repeat leaves with the last run of its commit."""
    commits = {run.sha for run in runs}
    return [repeat for repeat in repeats if repeat.sha in commits][-window:]


def empty_baseline(window: int) -> Baseline:
    """A baseline with no runs yet."""
    return Baseline(window=window)


def load_baseline(path: Path) -> Baseline:
    """Read and validate ``baseline.json``."""
    return Baseline.from_json(read_json(path, "baseline"), f"baseline {path}")


def merge_snapshot(
    baseline: Baseline,
    snapshot: Snapshot,
    settings: Settings,
    mutation: MutationScores | None = None,
) -> Baseline:
    """Return a new baseline with ``snapshot`` appended and everything cut to the window.

    With ``mutation``, the run records the mutation scores of that night too.
    """
    window = settings.baseline_window
    totals = project_totals(snapshot.files)
    run = BaselineRun(
        sha=snapshot.sha,
        run_id=snapshot.run_id,
        created_at=snapshot.created_at,
        totals=RunTotals(totals.lines_percent, totals.branches_percent),
        layers={
            name: _figures(summary) for name, summary in layer_summary(snapshot, settings).items()
        },
        mutation=None
        if mutation is None
        else {name: ModuleScore(**entry) for name, entry in mutation.modules.items()},
        flaky=sum(r.flaky for results in snapshot.tests.values() for r in results.values()),
    )
    files = {}
    for path, entry in snapshot.files.items():
        ft = file_totals(entry)
        files[path] = FileFigures(ft.lines_percent, ft.branches_percent)
    tests: dict[str, TestHistory] = {}
    for layer, results in snapshot.tests.items():
        for nodeid, result in results.items():
            old = baseline.tests.get(nodeid)
            durations = list(old.durations) if old else []
            if result.outcome != "skipped":
                durations.append(result.duration)
            outcomes = (old.outcomes if old else "") + _letter(result)
            tests[nodeid] = TestHistory(layer, durations[-window:], outcomes[-window:])
    for nodeid, old in baseline.tests.items():
        # A test absent from this run ages out once it has been missing for a whole window.
        missing_for = old.missing_for + 1
        if nodeid not in tests and missing_for < window:
            tests[nodeid] = msgspec.structs.replace(old, missing_for=missing_for)
    runs = [*baseline.runs, run][-window:]
    return Baseline(
        window=window,
        runs=runs,
        files=files,
        tests=dict(sorted(tests.items())),
        repeats=windowed_repeats(baseline.repeats, runs, window),
    )


def durations_map(baseline: Baseline) -> dict[str, float]:
    """``test id -> seconds`` (median over the window) in pytest-split's format."""
    result = {}
    for nodeid, history in sorted(baseline.tests.items()):
        median = history.median
        if median is not None:
            result[nodeid] = round(median, 4)
    return result


def layer_band(
    baseline: Baseline, layer: str, kind: str | None = None
) -> tuple[float, float, int] | None:
    """Median and p95 of the layer's runtime over the window, and the number of samples.

    With ``kind``, only runs that measured the same thing count (wall time and the sum
    of test durations are not comparable); runs recorded before kinds were kept count.
    """
    samples = []
    for run in baseline.runs:
        entry = run.layers.get(layer)
        if entry is None or entry.duration is None:
            continue
        if kind is not None and entry.duration_kind not in (None, kind):
            continue
        samples.append(entry.duration)
    if not samples:
        return None
    return statistics.median(samples), quantile(samples, 0.95), len(samples)


def previous_scores(baseline: Baseline) -> Mapping[str, ModuleScore]:
    """Each module's newest recorded score over the baseline runs (``{}``: none).

    Per module, so a night whose run could not score a layer leaves that layer's
    modules compared with the last night that did."""
    previous: dict[str, ModuleScore] = {}
    for run in baseline.runs:
        if run.mutation is not None:
            previous.update(run.mutation)
    return previous
