"""The rolling baseline: the last N snapshots of the default branch, condensed.

``baseline.json`` keeps per-run totals and per-layer figures (for trends and runtime
bands), per-file coverage of the newest run, and per-test histories (durations and
one outcome letter per run: ``P`` passed, ``F`` failed, ``S`` skipped, ``R`` failed
then passed on rerun, ``X`` failed as expected (xfail), ``U`` passed unexpectedly (xpass)),
and, for runs merged with mutation scores, each mutated module's score.
It also yields the ``.test_durations`` map pytest-split reads.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ci_metrics.errors import InputError
from ci_metrics.inputs.fileio import read_json
from ci_metrics.inputs.mutation_scores import MutationScores
from ci_metrics.model.metrics import file_totals, layer_summary, project_totals
from ci_metrics.model.outcomes import TestResult
from ci_metrics.model.snapshot import Snapshot
from ci_metrics.settings import Settings

SCHEMA = "ci-metrics-baseline"
VERSION = 1


def _letter(result: TestResult) -> str:
    if result.flaky:
        return "R"
    return {"passed": "P", "failed": "F", "xfailed": "X", "xpassed": "U"}.get(result.outcome, "S")


def quantile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) with linear interpolation; values must not be empty."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class TestHistory:
    """One test across the baseline window."""

    __test__ = False  # a domain object, not a pytest test class

    layer: str
    durations: list[float]
    outcomes: str

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


def empty_baseline(window: int) -> dict[str, Any]:
    """A baseline with no runs yet."""
    return {
        "schema": SCHEMA,
        "version": VERSION,
        "window": window,
        "runs": [],
        "files": {},
        "tests": {},
    }


def load_baseline(path: Path) -> dict[str, Any]:
    """Read and validate ``baseline.json``."""
    return validate_baseline(read_json(path, "baseline"), f"baseline {path}")


def validate_baseline(doc: Any, source: str) -> dict[str, Any]:
    """``doc`` if it is a baseline this version reads; else an :class:`InputError`
    that starts with ``source`` and says what is wrong."""
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise InputError(f"{source} is invalid: not a ci-metrics baseline")
    if doc.get("version") != VERSION:
        raise InputError(f"{source} is invalid: unsupported version {doc.get('version')!r}")
    for key, kind in (("runs", list), ("files", dict), ("tests", dict)):
        if not isinstance(doc.get(key), kind):
            raise InputError(f"{source} is invalid: {key!r} must be a {kind.__name__}")
    return doc


def test_histories(baseline: Mapping[str, Any]) -> dict[str, TestHistory]:
    """Per-test histories of a baseline document."""
    return {
        nodeid: TestHistory(str(t["layer"]), [float(d) for d in t["durations"]], str(t["outcomes"]))
        for nodeid, t in baseline["tests"].items()
    }


def merge_snapshot(
    baseline: Mapping[str, Any],
    snapshot: Snapshot,
    settings: Settings,
    mutation: MutationScores | None = None,
) -> dict[str, Any]:
    """Return a new baseline with ``snapshot`` appended and everything cut to the window.

    With ``mutation``, the run records the mutation scores of that night too.
    """
    window = settings.baseline_window
    totals = project_totals(snapshot.files)
    run: dict[str, Any] = {
        "sha": snapshot.sha,
        "run_id": snapshot.run_id,
        "created_at": snapshot.created_at,
        "totals": {"lines": totals.lines_percent, "branches": totals.branches_percent},
        "layers": layer_summary(snapshot, settings),
    }
    if mutation is not None:
        run["mutation"] = {name: dict(entry) for name, entry in mutation.modules.items()}
    runs = [*baseline["runs"], run][-window:]
    files = {}
    for path, entry in snapshot.files.items():
        ft = file_totals(entry)
        files[path] = {"lines": ft.lines_percent, "branches": ft.branches_percent}
    tests: dict[str, dict[str, Any]] = {}
    seen: set[str] = set()
    for layer, results in snapshot.tests.items():
        for nodeid, result in results.items():
            seen.add(nodeid)
            old = baseline["tests"].get(nodeid, {"durations": [], "outcomes": ""})
            durations = list(old["durations"])
            if result.outcome != "skipped":
                durations.append(result.duration)
            tests[nodeid] = {
                "layer": layer,
                "durations": durations[-window:],
                "outcomes": (old["outcomes"] + _letter(result))[-window:],
            }
    for nodeid, old in baseline["tests"].items():
        # A test absent from this run ages out once it has been missing for a whole window.
        missing_for = int(old.get("missing_for", 0)) + 1
        if nodeid not in seen and missing_for < window:
            tests[nodeid] = {**old, "missing_for": missing_for}
    return {
        "schema": SCHEMA,
        "version": VERSION,
        "window": window,
        "runs": runs,
        "files": files,
        "tests": dict(sorted(tests.items())),
    }


def durations_map(baseline: Mapping[str, Any]) -> dict[str, float]:
    """``test id -> seconds`` (median over the window) in pytest-split's format."""
    result = {}
    for nodeid, history in sorted(test_histories(baseline).items()):
        median = history.median
        if median is not None:
            result[nodeid] = round(median, 4)
    return result


def layer_band(
    baseline: Mapping[str, Any], layer: str, kind: str | None = None
) -> tuple[float, float, int] | None:
    """Median and p95 of the layer's runtime over the window, and the number of samples.

    With ``kind``, only runs that measured the same thing count (wall time and the sum
    of test durations are not comparable); runs recorded before kinds were kept count.
    """
    samples = []
    for run in baseline["runs"]:
        entry = run.get("layers", {}).get(layer, {})
        if entry.get("duration") is None:
            continue
        if kind is not None and entry.get("duration_kind", kind) != kind:
            continue
        samples.append(float(entry["duration"]))
    if not samples:
        return None
    return statistics.median(samples), quantile(samples, 0.95), len(samples)


def previous_scores(runs: Sequence[Mapping[str, Any]]) -> Mapping[str, Mapping[str, Any]]:
    """Each module's newest recorded score over the baseline runs (``{}``: none).

    Per module, so a night whose run could not score a layer leaves that layer's
    modules compared with the last night that did."""
    previous: dict[str, Mapping[str, Any]] = {}
    for run in runs:
        mutation = run.get("mutation")
        if isinstance(mutation, dict):
            previous.update(mutation)
    return previous
