"""Building the report: a snapshot compared with the baseline, the diff and the register."""

from __future__ import annotations

from datetime import date, datetime

from ci_metrics.inputs.gitdiff import Diff
from ci_metrics.inputs.quarantine import QuarantineEntry
from ci_metrics.inputs.register import ExceptionEntry, is_excepted
from ci_metrics.model.baseline import Baseline, BaselineRun, LayerFigures, Repeat, layer_band
from ci_metrics.model.diff_coverage import DiffCoverage, diff_coverage
from ci_metrics.model.gates import Base, Measure, evaluate_gates, no_drop_gate
from ci_metrics.model.metrics import (
    Totals,
    layer_has_data,
    layer_line_coverage,
    layer_ran,
    layer_runtime,
    project_totals,
)
from ci_metrics.model.noise import Noise, coverage_noise
from ci_metrics.model.outcomes import VersionOutcome, count_outcomes
from ci_metrics.model.report import (
    Comparison,
    LayerRow,
    Provenance,
    PullRequest,
    Report,
    human_age,
)
from ci_metrics.model.snapshot import Snapshot
from ci_metrics.model.trend import TrendPoint, trend_points
from ci_metrics.model.triage import triage
from ci_metrics.settings import Settings


def disagreeing_versions(snapshot: Snapshot, layer: str) -> dict[str, VersionOutcome]:
    """The layer's Python versions when they failed different tests, else ``{}``."""
    versions = snapshot.python.get(layer, {})
    if len({run.failed for run in versions.values()}) > 1:
        return dict(versions)
    return {}


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


def _layer_data(snapshot: Snapshot, settings: Settings) -> Measure:
    """Every layer that is not optional has coverage data, else why not, layer by layer."""
    problems = []
    for layer in settings.layers:
        if layer in settings.optional_layers or layer_has_data(snapshot, layer):
            continue
        if layer in snapshot.tests:
            problems.append(
                f"layer {layer} has test results but no coverage data: did its tests run "
                f"under coverage with the `{layer}` context?"
            )
        else:
            problems.append(f"layer {layer} has no data: did its tests run?")
    if problems:
        hint = " (a layer that runs only sometimes can be declared `optional = true`)"
        return Measure(None, "; ".join(problems) + hint)
    return Measure(None, verdict=f"every layer has coverage data ({len(settings.layers)})")


def _layer_measure(layer: str, ran: bool, value: float | None, settings: Settings) -> Measure:
    if not ran and layer in settings.optional_layers:
        return Measure(None, nothing=f"{layer} is optional and has no data")
    if not ran:
        return Measure(
            None,
            f"no data: the {layer} tests did not run, or recorded no `{layer}` coverage context",
        )
    if value is None:
        owned = settings.owned[layer].described() if layer in settings.owned else "none"
        return Measure(None, f"no measured file under the layer's owned paths ({owned})")
    return Measure(value)


def _base_coverage(
    compare: Snapshot | None, newest: BaselineRun | None, settings: Settings, layer: str
) -> float | None:
    """The layer's owned coverage to compare with: the merge base's, else the baseline's."""
    if compare is not None:
        if not layer_ran(compare, layer):
            return None
        return layer_line_coverage(compare.files, settings, layer)
    return newest.layers.get(layer, LayerFigures()).coverage if newest else None


def _carried_row(
    snapshot: Snapshot,
    settings: Settings,
    layer: str,
    base_coverage: float | None,
    noise: Noise,
) -> LayerRow:
    """A layer carried from a base snapshot: its counts there, no runtime, this coverage."""
    carried = snapshot.carried[layer]
    counts = carried.counts
    return LayerRow(
        name=layer,
        passed=counts.get("passed", 0),
        failed=counts.get("failed", 0),
        skipped=counts.get("skipped", 0),
        xfailed=counts.get("xfailed", 0),
        xpassed=counts.get("xpassed", 0),
        duration=None,
        duration_kind=None,
        band=None,
        coverage=layer_line_coverage(snapshot.files, settings, layer),
        baseline_coverage=base_coverage,
        diff_owner=None,
        foreign_only=0,
        coverage_noise=noise,
        carried_from=carried.sha,
    )


def nightly_base(run: BaselineRun | None) -> Base | None:
    """The newest nightly run as the base coverage is compared with."""
    if run is None:
        return None
    return Base(
        f"nightly run {run.run_id or 'local'} (`{run.sha[:10] or 'local'}`)", run.totals.lines
    )


def _layer_noise(runs: list[BaselineRun], repeats: list[Repeat], layer: str) -> Noise:
    return coverage_noise(
        (
            (run.sha, figures.coverage if (figures := run.layers.get(layer)) else None)
            for run in runs
        ),
        ((repeat.sha, repeat.coverage.get(layer)) for repeat in repeats),
    )


def _head_point(
    snapshot: Snapshot, rows: list[LayerRow], lines: float | None, head: str
) -> TrendPoint:
    """This run's point, named by the head commit the status line names (a pull
    request's run measures its merge commit, whose sha the snapshot keeps)."""
    flaky = sum(r.flaky for results in snapshot.tests.values() for r in results.values())
    return TrendPoint(
        "head", head or snapshot.sha, lines, {r.name: r.duration for r in rows}, flaky
    )


def build_report(
    *,
    snapshot: Snapshot,
    baseline: Baseline | None,
    diff: Diff | None,
    settings: Settings,
    register: list[ExceptionEntry],
    pr: PullRequest,
    now: datetime,
    no_diff: str = "no base ref was available",
    diff_skipped: bool = False,
    quarantine: list[QuarantineEntry] | None = None,
    base: Base | None = None,
    compare: Snapshot | None = None,
) -> Report:
    """Compare ``snapshot`` with ``baseline`` and ``diff``; evaluate the gates.

    Without a diff, ``no_diff`` says why: the diff gate fails with it, unless diff
    coverage was skipped on purpose (``diff_skipped``), which leaves the gate out.
    ``base`` is what coverage must not drop below (the merge base's own snapshot,
    when the caller has it); without one, the newest nightly run. ``quarantine``
    names the register's entries, for the quarantined failures. With ``compare``
    (the merge base's own snapshot), coverage deltas are against it, and it is the
    base unless one is given; the baseline keeps the runtime bands, the trend and
    the test histories.
    """
    runs = baseline.runs if baseline else []
    repeats = baseline.repeats if baseline else []
    newest = runs[-1] if runs else None
    base_totals = project_totals(compare.files) if compare else None
    if base is None and compare is not None and base_totals is not None:
        base = Base(f"the merge base (`{compare.sha[:10]}`)", base_totals.lines_percent)
    base = base or nightly_base(newest)
    lines_noise = coverage_noise(
        ((run.sha, run.totals.lines) for run in runs),
        ((repeat.sha, repeat.totals.lines) for repeat in repeats),
    )
    totals = project_totals(snapshot.files)
    changed = diff.python_files() if diff else {}
    dcov = diff_coverage(snapshot.files, changed, settings) if diff else None

    def kept(path: str) -> bool:
        return not is_excepted(register, path)

    rows: list[LayerRow] = []
    ran = {layer: layer_ran(snapshot, layer) for layer in settings.layers}
    for layer in settings.layers:
        base_coverage = _base_coverage(compare, newest, settings, layer)
        carried = snapshot.carried.get(layer)
        if carried is not None:
            noise = _layer_noise(runs, repeats, layer)
            rows.append(_carried_row(snapshot, settings, layer, base_coverage, noise))
            continue
        # One row per layer; one per version when the versions failed different tests.
        versions = disagreeing_versions(snapshot, layer)
        by_version = {v: dict(run.counts) for v, run in versions.items()} or {
            "": count_outcomes(snapshot.tests.get(layer, {}))
        }
        runtime = layer_runtime(snapshot, layer)
        rows.extend(
            LayerRow(
                name=layer,
                python=version,
                has_results=layer in snapshot.tests,
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
                baseline_coverage=base_coverage,
                diff_owner=dcov.owner_percent(layer) if dcov else None,
                foreign_only=sum(len(f.foreign_only) for f in dcov.files if f.owner == layer)
                if dcov
                else 0,
                quarantined=counts.get("quarantined", 0),
                coverage_noise=_layer_noise(runs, repeats, layer),
            )
            for version, counts in by_version.items()
        )
    # Without exceptions the gated figures equal the reported ones: skip recomputing them.
    tests = triage(snapshot, baseline, quarantine or [])
    gated_totals = project_totals(snapshot.files, kept) if register else totals
    gated_diff = dcov
    if diff and register:
        gated_diff = diff_coverage(snapshot.files, changed, settings, kept)
    gates = evaluate_gates(
        settings.thresholds,
        layer_data=_layer_data(snapshot, settings),
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
        no_drop=no_drop_gate(totals.lines_percent, base, lines_noise),
        new_flaky=tests.new_flaky_gate(bool(runs)),
        carry_refused=snapshot.carry_refused,
    )
    provenance = None
    if newest is not None:
        provenance = Provenance(
            sha=newest.sha,
            run_id=newest.run_id,
            created_at=newest.created_at,
            age=human_age(newest.created_at, now),
            samples=len(runs),
        )
    today: date = now.date()
    report = Report(
        pr=pr,
        generated_at=now.isoformat(timespec="seconds"),
        provenance=provenance,
        lines=totals.lines_percent,
        branches=totals.branches_percent,
        baseline_lines=base_totals.lines_percent
        if base_totals
        else newest.totals.lines
        if newest
        else None,
        baseline_branches=base_totals.branches_percent
        if base_totals
        else newest.totals.branches
        if newest
        else None,
        diff=dcov,
        diff_base=diff.base if diff else no_diff,
        layers=rows,
        gates=gates,
        exceptions=list(register),
        expired=[e for e in register if e.expired(today)],
        register_applies=any(is_excepted(register, path) for path in [*snapshot.files, *changed]),
        trend=[r.totals.lines for r in runs if r.totals.lines is not None]
        + ([totals.lines_percent] if totals.lines_percent is not None else []),
        lines_noise=lines_noise,
        trend_points=[
            *trend_points(baseline, list(settings.layers)),
            _head_point(snapshot, rows, totals.lines_percent, pr.head_sha),
        ],
        tests=tests,
        compared_with=Comparison(compare.sha, compare.run_id) if compare else None,
    )
    return report
