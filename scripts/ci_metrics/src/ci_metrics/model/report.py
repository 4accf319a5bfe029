"""The report model: what the comment, the summary, the annotations and the gate show."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from ci_metrics.inputs.register import ExceptionEntry
from ci_metrics.model.baseline import MIN_BAND_SAMPLES, SLOW_NOISE_FLOOR
from ci_metrics.model.diff_coverage import DiffCoverage
from ci_metrics.model.gates import NO_DROP, Gate, GateResult
from ci_metrics.model.noise import Noise
from ci_metrics.model.trend import TrendPoint
from ci_metrics.model.triage import Triage

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

    def blob_link(self, path: str, line: int) -> str | None:
        """Link to a line of a file at the head commit (any file, changed or not)."""
        if not self.repository or not self.head_sha:
            return None
        return f"{self.server_url}/{self.repository}/blob/{self.head_sha}/{path}#L{line}"


@dataclass(frozen=True)
class Provenance:
    """Which baseline the report compares with."""

    sha: str
    run_id: str
    created_at: str
    age: str
    samples: int


@dataclass(frozen=True)
class Comparison:
    """The snapshot coverage deltas are computed against: the merge base's own."""

    sha: str
    run_id: str


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
    has_results: bool = True  # False: no test results were read for the layer
    quarantined: int = 0
    #: The run-to-run noise of the layer's owned coverage in the baseline.
    coverage_noise: Noise | None = None
    #: The commit a carried layer's figures come from ("" for a layer that ran).
    carried_from: str = ""

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
    gates: list[Gate]
    #: The failed, flaky, quarantined, new, removed, newly skipped and slower tests.
    tests: Triage = field(default_factory=Triage)
    exceptions: list[ExceptionEntry] = field(default_factory=list)
    expired: list[ExceptionEntry] = field(default_factory=list)
    register_applies: bool = False  # an exception covers a measured or changed file
    trend: list[float] = field(default_factory=list)
    #: The run-to-run noise of project line coverage in the baseline.
    lines_noise: Noise | None = None
    #: The baseline's runs and this one, for the trend charts.
    trend_points: list[TrendPoint] = field(default_factory=list)
    #: Coverage deltas are against this snapshot (the merge base's), not the baseline.
    compared_with: Comparison | None = None

    @property
    def passed(self) -> bool:
        """All gates passed."""
        return all(g.passed for g in self.gates)

    @property
    def no_drop(self) -> GateResult | None:
        """The "must not drop" gate, when it is on."""
        return next(
            (g for g in self.gates if isinstance(g, GateResult) and g.name == NO_DROP), None
        )

    def actionable(self) -> list[str]:
        """What in this run asks for action, in words (``[]``: nothing does): a failed
        gate, an uncovered changed line, a failed, flaky or removed test, a layer slower
        than its p95. Quarantined failures are known and owned: they ask nothing."""
        reasons = []
        failed_gates = sum(not g.passed for g in self.gates)
        if failed_gates:
            reasons.append(f"{failed_gates} failed gate{'s' if failed_gates != 1 else ''}")
        changed = self.diff.files if self.diff else []
        if any(f.missing_lines or f.missing_branches for f in changed) or (
            self.diff and self.diff.unmeasured
        ):
            reasons.append("uncovered changed lines")
        for items, what in (
            (self.tests.failed, "failed"),
            (self.tests.flaky, "flaky"),
            (self.tests.removed_tests, "removed"),
        ):
            if items:
                reasons.append(f"{len(items)} {what} test{'s' if len(items) != 1 else ''}")
        slow = sorted({row.name for row in self.layers if row.runtime_status == "above p95"})
        if slow:
            reasons.append(f"slower than p95: {', '.join(slow)}")
        return reasons

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
            "flaky_tests": str(len(self.tests.flaky)),
            "failed_tests": str(len(self.tests.failed)),
            "quarantined_failures": str(len(self.tests.quarantined)),
            "actionable": "true" if self.actionable() else "false",
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
