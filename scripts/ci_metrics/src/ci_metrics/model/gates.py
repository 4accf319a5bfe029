"""Gates: every configured layer has coverage data, coverage thresholds applied to
figures that leave out excepted modules, the "must not drop" comparison with the base,
and the tests a pull request must not bring.

Fail closed: a figure that could not be measured (missing data, no diff, files without
coverage data, a base without the figure) fails its gate with the reason. Only a figure
that is empty for a good reason passes as "nothing to measure": no owned statement
changed, or nothing to compare with yet (no baseline, or a single run and no repeat of
its commit: no noise estimate, a normal state right after adoption).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ci_metrics.model.noise import Noise
from ci_metrics.settings import Thresholds

#: The gate that fails when carried layers could not be combined with this run.
CARRY_GATE = "carried data does not match"


@dataclass(frozen=True)
class Measure:
    """A figure for a gate: a percentage, or why there is none.

    ``problem`` says why the figure could not be measured (the gate fails);
    ``nothing`` says why there was nothing to measure (the gate passes);
    ``verdict`` is what a check without a figure says when it passes.
    """

    value: float | None
    problem: str | None = None
    nothing: str = ""
    verdict: str = ""


@dataclass(frozen=True)
class GateResult:
    """One threshold check and the figure it was applied to."""

    name: str
    actual: float | None
    threshold: float
    problem: str | None = None
    nothing: str = ""
    verdict: str = ""
    #: What the threshold was made of (a comparison gate's base and tolerance).
    note: str = ""

    @property
    def passed(self) -> bool:
        """A measured figure reaches the threshold, or there was nothing to measure."""
        if self.problem is not None:
            return False
        return self.actual is None or self.actual >= self.threshold

    def describe(self) -> str:
        """One line for logs: ``diff coverage 82.50% < 90.00%``."""
        if self.problem is not None:
            if self.actual is not None:
                return f"{self.name} {self.actual:.2f}%, but {self.problem}"
            return f"{self.name}: {self.problem}"
        if self.actual is None and self.verdict:
            return f"{self.name}: {self.verdict}"
        if self.actual is None:
            reason = f" ({self.nothing})" if self.nothing else ""
            return f"{self.name}: nothing to measure{reason}"
        sign = ">=" if self.passed else "<"
        note = f" ({self.note})" if self.note else ""
        return f"{self.name} {self.actual:.2f}% {sign} {self.threshold:.2f}%{note}"


@dataclass(frozen=True)
class TestsGate:
    """A gate on tests rather than a figure: it fails when ``tests`` names any."""

    __test__ = False  # a domain object, not a pytest test class

    name: str
    tests: tuple[str, ...]
    why: str

    @property
    def passed(self) -> bool:
        """No test falls under the gate."""
        return not self.tests

    def describe(self) -> str:
        """``new flaky tests: 1 (t::a): <why>``, or ``new flaky tests: none``."""
        if not self.tests:
            return f"{self.name}: none"
        shown = ", ".join(self.tests[:5]) + (
            f" and {len(self.tests) - 5} more" if len(self.tests) > 5 else ""
        )
        return f"{self.name}: {len(self.tests)} ({shown}): {self.why}"


#: Any gate: ``passed``, ``name`` and ``describe()``.
Gate = GateResult | TestsGate


@dataclass(frozen=True)
class Base:
    """What a pull request's coverage is compared with: which run, and its figure."""

    label: str
    lines: float | None


NO_DROP = "project line coverage vs base"


def no_drop_gate(lines: float | None, base: Base | None, noise: Noise) -> GateResult:
    """Project line coverage may not fall below the base's by more than the noise.

    The noise is what tells a drop from the run-to-run spread, so the gate needs its
    estimate: without a base (no baseline yet), or with too few baseline runs to
    estimate the noise (one, and no repeat of its commit), there is nothing to compare
    yet, which passes and says so, as a layer's runtime shows no verdict before its
    band has five runs. A base without a figure, or a run without one, fails it.
    """
    if base is None:
        return GateResult(NO_DROP, None, 0.0, nothing="no base to compare with: no baseline yet")
    if base.lines is None:
        return GateResult(NO_DROP, None, 0.0, f"the base ({base.label}) has no line coverage")
    if lines is None:
        return GateResult(NO_DROP, None, 0.0, "no statements measured")
    if noise.points is None:
        return GateResult(
            NO_DROP,
            None,
            0.0,
            nothing=f"the baseline's noise is unknown ({noise.runs} run"
            f"{'s' if noise.runs != 1 else ''} with a figure, 2 needed): a drop from "
            f"{base.lines:.2f}% at {base.label} cannot be told from it yet",
        )
    return GateResult(
        NO_DROP,
        lines,
        round(base.lines - noise.points, 2),
        note=f"base {base.lines:.2f}% at {base.label}, tolerance {noise.points:.2f} points: "
        f"the noise of {noise.sample()} ({noise.basis})",
    )


def _gate(name: str, measure: Measure, threshold: float) -> GateResult:
    return GateResult(
        name, measure.value, threshold, measure.problem, measure.nothing, measure.verdict
    )


def evaluate_gates(
    thresholds: Thresholds,
    *,
    project_lines: Measure,
    project_branches: Measure,
    diff: Measure | None,
    layers: Mapping[str, Measure],
    layer_data: Measure | None = None,
    no_drop: GateResult | None = None,
    new_flaky: TestsGate | None = None,
    carry_refused: str = "",
) -> list[Gate]:
    """Every configured gate, in a fixed order (carried data, layer data, project, must
    not drop, diff, layers, then tests).

    ``diff`` is ``None`` when diff coverage was skipped on purpose (``--no-diff``);
    ``layer_data``, whether every configured layer has coverage data, is a gate of
    its own whatever the thresholds: a layer whose tests did not run fails it.
    ``no_drop`` and ``new_flaky`` are left out when their settings turn them off.
    ``carry_refused`` says why the layers a plan carried could not be: then the figures
    lack them, and a gate that no threshold can pass says so first.
    """
    gates: list[Gate] = []
    if carry_refused:
        gates.append(GateResult(CARRY_GATE, None, 0.0, f"rerun with full: true ({carry_refused})"))
    if layer_data is not None:
        gates.append(_gate("layer data", layer_data, 0.0))
    if thresholds.project_lines is not False:
        gates.append(_gate("project line coverage", project_lines, thresholds.project_lines))
    if thresholds.project_branches is not False:
        gates.append(
            _gate("project branch coverage", project_branches, thresholds.project_branches)
        )
    if thresholds.project_no_drop and no_drop is not None:
        gates.append(no_drop)
    if thresholds.diff is not False and diff is not None:
        gates.append(_gate("diff coverage", diff, thresholds.diff))
    for layer, threshold in sorted(thresholds.per_layer().items()):
        measure = layers.get(layer, Measure(None, "not a configured layer"))
        gates.append(_gate(f"{layer} layer coverage", measure, threshold))
    if thresholds.new_flaky_tests and new_flaky is not None:
        gates.append(new_flaky)
    return gates
