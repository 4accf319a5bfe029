"""Gate evaluation: thresholds, and failing closed on figures that could not be measured."""

from __future__ import annotations

from ci_metrics.model.gates import GateResult, Measure, evaluate_gates
from ci_metrics.settings import Thresholds


def test_evaluate_gates__disabled_gates_are_left_out():
    one = Measure(1.0)
    assert (
        evaluate_gates(
            Thresholds(False, False, False),
            project_lines=one,
            project_branches=one,
            diff=one,
            layers={},
        )
        == []
    )


def test_evaluate_gates__skipped_diff_is_left_out():
    gates = evaluate_gates(
        Thresholds(False, False, 90), project_lines=Measure(1), project_branches=Measure(1),
        diff=None, layers={},
    )  # fmt: skip
    assert gates == []


def test_evaluate_gates__order_nothing_measured_passes_and_problems_fail():
    gates = evaluate_gates(
        Thresholds(90, 80, 70, {"b": 50, "a": 60, "c": 10}),
        project_lines=Measure(95.0),
        project_branches=Measure(79.99),
        diff=Measure(None, nothing="no owned Python statement changed"),
        layers={"a": Measure(59.0), "b": Measure(None, "no data")},
    )
    assert [g.name for g in gates] == [
        "project line coverage",
        "project branch coverage",
        "diff coverage",
        "a layer coverage",
        "b layer coverage",
        "c layer coverage",
    ]
    assert [g.passed for g in gates] == [True, False, True, False, False, False]
    assert gates[2].describe() == (
        "diff coverage: nothing to measure (no owned Python statement changed)"
    )
    assert gates[4].describe() == "b layer coverage: no data"
    assert gates[5].describe() == "c layer coverage: not a configured layer"
    assert GateResult("x", 70.0, 70.0).describe() == "x 70.00% >= 70.00%"


def test_gate_result__a_problem_fails_even_with_a_figure_above_the_threshold():
    gate = GateResult("diff coverage", 95.0, 90.0, problem="no coverage data for a.py")
    assert not gate.passed
    assert gate.describe() == "diff coverage 95.00%, but no coverage data for a.py"
