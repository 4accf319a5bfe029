"""Coverage gates: thresholds applied to figures that leave out excepted modules.

Fail closed: a figure that could not be measured (missing data, no diff, files without
coverage data) fails its gate with the reason. Only a figure that is empty for a good
reason (no owned statement changed) passes as "nothing to measure".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ci_metrics.settings import Thresholds


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
        return f"{self.name} {self.actual:.2f}% {sign} {self.threshold:.2f}%"


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
) -> list[GateResult]:
    """Every configured gate, in a fixed order (layer data, project, diff, then layers).

    ``diff`` is ``None`` when diff coverage was skipped on purpose (``--no-diff``);
    ``layer_data``, whether every configured layer has coverage data, is a gate of
    its own whatever the thresholds: a layer whose tests did not run fails it.
    """
    gates = []
    if layer_data is not None:
        gates.append(_gate("layer data", layer_data, 0.0))
    if thresholds.project_lines is not False:
        gates.append(_gate("project line coverage", project_lines, thresholds.project_lines))
    if thresholds.project_branches is not False:
        gates.append(
            _gate("project branch coverage", project_branches, thresholds.project_branches)
        )
    if thresholds.diff is not False and diff is not None:
        gates.append(_gate("diff coverage", diff, thresholds.diff))
    for layer, threshold in sorted(thresholds.per_layer().items()):
        measure = layers.get(layer, Measure(None, "not a configured layer"))
        gates.append(_gate(f"{layer} layer coverage", measure, threshold))
    return gates
