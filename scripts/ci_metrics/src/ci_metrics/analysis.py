"""The report model: a snapshot compared with the baseline, the diff and the register."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ci_metrics.baseline import TestHistory, layer_band, test_histories
from ci_metrics.diffcov import DiffCoverage, diff_coverage
from ci_metrics.gates import GateResult, Measure, evaluate_gates
from ci_metrics.gitdiff import Diff
from ci_metrics.metrics import (
    Totals,
    layer_line_coverage,
    layer_ran,
    layer_runtime,
    project_totals,
)
from ci_metrics.register import ExceptionEntry, is_excepted
from ci_metrics.settings import Settings
from ci_metrics.snapshot import Snapshot
from ci_metrics.test_results import VersionOutcome, count_outcomes

SLOW_NOISE_FLOOR = 0.1  # seconds: smaller slow-downs are timer noise
MIN_BAND_SAMPLES = 5  # fewer baseline runs have no meaningful p95
SPARK = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class PullRequest:
    """Where the report is about: used for links and the status line."""

    head_sha: str = ""
    number: int | None = None
    repository: str = ""
    server_url: str = "https://github.com"

    def diff_link(self, path: str) -> str | None:
        """Link to a file in the pull request's "Files changed" view."""
        if self.number is None or not self.repository:
            return None
        anchor = hashlib.sha256(path.encode("utf-8")).hexdigest()
        return f"{self.server_url}/{self.repository}/pull/{self.number}/files#diff-{anchor}"

    def line_link(self, path: str, line: int) -> str | None:
        """Link to a line (new side) of a file in the "Files changed" view."""
        link = self.diff_link(path)
        return f"{link}R{line}" if link else None


@dataclass(frozen=True)
class Provenance:
    """Which baseline the report compares with."""

    sha: str
    run_id: str
    created_at: str
    age: str
    samples: int


@dataclass(frozen=True)
class LayerRow:
    """One row of the per-layer table: a layer, or one Python version of a layer whose
    versions disagree (``python`` names it; runtime and coverage stay the layer's)."""

    name: str
    passed: int
    failed: int
    skipped: int
    xfailed: int
    xpassed: int
    duration: float | None
    duration_kind: str | None  # metrics.WALL or metrics.TEST_SUM
    band: tuple[float, float, int] | None
    coverage: float | None
    baseline_coverage: float | None
    diff_owner: float | None
    foreign_only: int
    python: str = ""

    @property
    def runtime_status(self) -> str:
        """``above p95``, ``within band``, ``too few samples`` or ``no baseline``.

        A regression needs a band (at least five baseline runs) and an excess over its
        p95 larger than timer noise.
        """
        if self.band is None or self.duration is None:
            return "no baseline"
        if self.band[2] < MIN_BAND_SAMPLES:
            return "too few samples"
        beyond = self.duration > self.band[1] + SLOW_NOISE_FLOOR
        return "above p95" if beyond else "within band"


@dataclass(frozen=True)
class TestChange:
    """A test worth naming in the report."""

    __test__ = False  # a domain object, not a pytest test class

    nodeid: str
    layer: str
    detail: str


@dataclass
class Report:
    """Everything the templates render and the gate checks."""

    pr: PullRequest
    generated_at: str
    provenance: Provenance | None
    lines: float | None
    branches: float | None
    baseline_lines: float | None
    baseline_branches: float | None
    diff: DiffCoverage | None
    diff_base: str
    layers: list[LayerRow]
    gates: list[GateResult]
    flaky: list[TestChange] = field(default_factory=list)
    failed: list[TestChange] = field(default_factory=list)
    new_tests: list[TestChange] = field(default_factory=list)
    removed_tests: list[TestChange] = field(default_factory=list)
    newly_skipped: list[TestChange] = field(default_factory=list)
    slow: list[TestChange] = field(default_factory=list)
    exceptions: list[ExceptionEntry] = field(default_factory=list)
    expired: list[ExceptionEntry] = field(default_factory=list)
    register_applies: bool = False  # an exception covers a measured or changed file
    trend: list[float] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """All gates passed."""
        return all(g.passed for g in self.gates)

    @property
    def sparkline(self) -> str:
        """Line coverage over the baseline runs and this one, as block characters."""
        if len(self.trend) < 2:
            return ""
        low, high = min(self.trend), max(self.trend)
        span = (high - low) or 1.0
        return "".join(SPARK[round((v - low) / span * (len(SPARK) - 1))] for v in self.trend)

    def key_figures(self) -> dict[str, str]:
        """Figures for ``$GITHUB_OUTPUT`` (empty string when not measured)."""

        def fmt(value: float | None) -> str:
            return "" if value is None else f"{value:.2f}"

        return {
            "coverage_lines": fmt(self.lines),
            "coverage_branches": fmt(self.branches),
            "diff_coverage": fmt(self.diff.lines_percent if self.diff else None),
            "gates_passed": "true" if self.passed else "false",
            "failed_gates": str(sum(not g.passed for g in self.gates)),
            "flaky_tests": str(len(self.flaky)),
            "failed_tests": str(len(self.failed)),
        }


def human_age(then: str, now: datetime) -> str:
    """``3 h``, ``2 d``... between an ISO timestamp and ``now``; ``unknown`` if unparsable."""
    try:
        seconds = (now - datetime.fromisoformat(then)).total_seconds()
    except (ValueError, TypeError):
        return "unknown"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit}"
    return "just now"


def disagreeing_versions(snapshot: Snapshot, layer: str) -> dict[str, VersionOutcome]:
    """The layer's Python versions when they failed different tests, else ``{}``."""
    versions = snapshot.python.get(layer, {})
    if len({run.failed for run in versions.values()}) > 1:
        return dict(versions)
    return {}


def _failed_on(snapshot: Snapshot, layer: str, nodeid: str) -> str:
    """``Python 3.13`` when the test failed on some of the layer's versions only."""
    versions = disagreeing_versions(snapshot, layer)
    failed = [v for v, run in versions.items() if nodeid in run.failed]
    return f"Python {', '.join(failed)}" if failed and len(failed) < len(versions) else ""


def _tests_vs_baseline(
    report: Report, snapshot: Snapshot, histories: Mapping[str, TestHistory], has_baseline: bool
) -> None:
    ran_layers = set(snapshot.tests)
    current: dict[str, str] = {}
    for layer, results in sorted(snapshot.tests.items()):
        for nodeid, result in sorted(results.items()):
            current[nodeid] = layer
            history = histories.get(nodeid)
            if result.flaky:
                rate = f"{history.flakes}/{len(history.outcomes)} runs" if history else "new"
                report.flaky.append(TestChange(nodeid, layer, f"{result.reruns} rerun(s); {rate}"))
            if result.outcome == "failed":
                report.failed.append(TestChange(nodeid, layer, _failed_on(snapshot, layer, nodeid)))
            if not has_baseline:
                continue
            if history is None:
                report.new_tests.append(TestChange(nodeid, layer, result.outcome))
                continue
            if result.outcome == "skipped" and history.outcomes[-1:] != "S":
                report.newly_skipped.append(TestChange(nodeid, layer, "skipped"))
            p95, median = history.p95, history.median
            if (
                p95 is not None
                and median is not None
                and result.outcome != "skipped"
                and result.duration > p95
                and result.duration - median > SLOW_NOISE_FLOOR
            ):
                detail = f"{result.duration:.2f}s vs median {median:.2f}s (p95 {p95:.2f}s)"
                report.slow.append(TestChange(nodeid, layer, detail))
    for nodeid, history in sorted(histories.items()):
        if history.layer in ran_layers and nodeid not in current:
            report.removed_tests.append(TestChange(nodeid, history.layer, "removed"))
    report.slow.sort(key=lambda t: float(t.detail.split("s", 1)[0]), reverse=True)
    report.slow = report.slow[:10]


UNMEASURED_CAUSES = (
    "likely a path mismatch between the coverage data and the work tree (see [paths] in "
    "the coverage configuration), a layer's data missing from the combined file, or a "
    "file never imported by any test (list its package in `source`)"
)


def unmeasured_problem(paths: list[str]) -> str:
    """Why diff coverage cannot be trusted when changed owned files have no data."""
    shown = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
    return f"no coverage data for {len(paths)} changed file(s): {shown}; {UNMEASURED_CAUSES}"


def _project_lines(totals: Totals) -> Measure:
    if totals.statements == 0:
        return Measure(None, "no statements measured")
    return Measure(totals.lines_percent)


def _project_branches(totals: Totals, branch_data: bool) -> Measure:
    if not branch_data:
        return Measure(
            None,
            "no branch data: measure with `branch = True`, or set "
            "thresholds.project_branches = false",
        )
    return Measure(totals.branches_percent, nothing="no branches")


def _diff_measure(dcov: DiffCoverage | None, no_diff: str, settings: Settings) -> Measure:
    if dcov is None:
        return Measure(None, f"no diff: {no_diff}")
    if dcov.unmeasured and not settings.allow_unmeasured:
        return Measure(dcov.lines_percent, unmeasured_problem(dcov.unmeasured))
    return Measure(dcov.lines_percent, nothing="no owned Python statement changed")


def _layer_measure(layer: str, ran: bool, value: float | None, settings: Settings) -> Measure:
    if not ran:
        return Measure(
            None,
            f"no data: the {layer} tests did not run, or recorded no `{layer}` coverage context",
        )
    if value is None:
        owned = ", ".join(settings.layers.get(layer, ())) or "none"
        return Measure(None, f"no measured file under the layer's owned paths ({owned})")
    return Measure(value)


def build_report(
    *,
    snapshot: Snapshot,
    baseline: Mapping[str, Any] | None,
    diff: Diff | None,
    settings: Settings,
    register: list[ExceptionEntry],
    pr: PullRequest,
    now: datetime,
    no_diff: str = "no base ref was available",
    diff_skipped: bool = False,
) -> Report:
    """Compare ``snapshot`` with ``baseline`` and ``diff``; evaluate the gates.

    Without a diff, ``no_diff`` says why: the diff gate fails with it, unless diff
    coverage was skipped on purpose (``diff_skipped``), which leaves the gate out.
    """
    runs = list(baseline["runs"]) if baseline else []
    newest = runs[-1] if runs else None
    totals = project_totals(snapshot.files)
    changed = diff.python_files() if diff else {}
    dcov = diff_coverage(snapshot.files, changed, settings) if diff else None

    def kept(path: str) -> bool:
        return not is_excepted(register, path)

    rows: list[LayerRow] = []
    ran = {layer: layer_ran(snapshot, layer) for layer in settings.layers}
    for layer in settings.layers:
        # One row per layer; one per version when the versions failed different tests.
        versions = disagreeing_versions(snapshot, layer)
        by_version = {v: dict(run.counts) for v, run in versions.items()} or {
            "": count_outcomes(snapshot.tests.get(layer, {}))
        }
        base_layer = (newest or {}).get("layers", {}).get(layer, {})
        runtime = layer_runtime(snapshot, layer)
        rows.extend(
            LayerRow(
                name=layer,
                python=version,
                passed=counts.get("passed", 0),
                failed=counts.get("failed", 0),
                skipped=counts.get("skipped", 0),
                xfailed=counts.get("xfailed", 0),
                xpassed=counts.get("xpassed", 0),
                duration=runtime.seconds if runtime else None,
                duration_kind=runtime.kind if runtime else None,
                band=layer_band(baseline, layer, runtime.kind if runtime else None)
                if baseline
                else None,
                coverage=layer_line_coverage(snapshot.files, settings, layer)
                if ran[layer]
                else None,
                baseline_coverage=base_layer.get("coverage"),
                diff_owner=dcov.owner_percent(layer) if dcov else None,
                foreign_only=sum(len(f.foreign_only) for f in dcov.files if f.owner == layer)
                if dcov
                else 0,
            )
            for version, counts in by_version.items()
        )
    # Without exceptions the gated figures equal the reported ones: skip recomputing them.
    gated_totals = project_totals(snapshot.files, kept) if register else totals
    gated_diff = dcov
    if diff and register:
        gated_diff = diff_coverage(snapshot.files, changed, settings, kept)
    gates = evaluate_gates(
        settings.thresholds,
        project_lines=_project_lines(gated_totals),
        project_branches=_project_branches(gated_totals, snapshot.branch_data),
        diff=None if diff_skipped else _diff_measure(gated_diff, no_diff, settings),
        layers={
            layer: _layer_measure(
                layer,
                ran[layer],
                layer_line_coverage(snapshot.files, settings, layer, kept)
                if register and ran[layer]
                else next(row.coverage for row in rows if row.name == layer),
                settings,
            )
            for layer in settings.layers
        },
    )
    provenance = None
    if newest is not None:
        provenance = Provenance(
            sha=str(newest.get("sha", "")),
            run_id=str(newest.get("run_id", "")),
            created_at=str(newest.get("created_at", "")),
            age=human_age(str(newest.get("created_at", "")), now),
            samples=len(runs),
        )
    today: date = now.date()
    report = Report(
        pr=pr,
        generated_at=now.isoformat(timespec="seconds"),
        provenance=provenance,
        lines=totals.lines_percent,
        branches=totals.branches_percent,
        baseline_lines=(newest or {}).get("totals", {}).get("lines"),
        baseline_branches=(newest or {}).get("totals", {}).get("branches"),
        diff=dcov,
        diff_base=diff.base if diff else no_diff,
        layers=rows,
        gates=gates,
        exceptions=list(register),
        expired=[e for e in register if e.expired(today)],
        register_applies=any(is_excepted(register, path) for path in [*snapshot.files, *changed]),
        trend=[
            float(r["totals"]["lines"])
            for r in runs
            if r.get("totals", {}).get("lines") is not None
        ]
        + ([totals.lines_percent] if totals.lines_percent is not None else []),
    )
    _tests_vs_baseline(report, snapshot, test_histories(baseline) if baseline else {}, bool(runs))
    return report
