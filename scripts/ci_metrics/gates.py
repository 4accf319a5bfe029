"""Coverage gates: thresholds applied to figures that leave out excepted modules."""

from __future__ import annotations

from dataclasses import dataclass

from scripts.ci_metrics.settings import Thresholds


@dataclass(frozen=True)
class GateResult:
    """One threshold check; ``actual`` is ``None`` when there was nothing to measure."""

    name: str
    actual: float | None
    threshold: float

    @property
    def passed(self) -> bool:
        """Nothing measured passes; otherwise the figure must reach the threshold."""
        return self.actual is None or self.actual >= self.threshold

    def describe(self) -> str:
        """One line for logs: ``diff coverage 82.50% < 90.00%``."""
        if self.actual is None:
            return f"{self.name}: nothing to measure"
        sign = ">=" if self.passed else "<"
        return f"{self.name} {self.actual:.2f}% {sign} {self.threshold:.2f}%"


def evaluate_gates(
    thresholds: Thresholds,
    *,
    project_lines: float | None,
    project_branches: float | None,
    diff: float | None,
    layers: dict[str, float | None],
) -> list[GateResult]:
    """Every configured gate, in a fixed order (project, diff, then layers)."""
    gates = []
    if thresholds.project_lines is not None:
        gates.append(GateResult("project line coverage", project_lines, thresholds.project_lines))
    if thresholds.project_branches is not None:
        gates.append(
            GateResult("project branch coverage", project_branches, thresholds.project_branches)
        )
    if thresholds.diff is not None:
        gates.append(GateResult("diff coverage", diff, thresholds.diff))
    for layer, threshold in sorted(thresholds.layers.items()):
        gates.append(GateResult(f"{layer} layer coverage", layers.get(layer), threshold))
    return gates
