"""Gate evaluation."""

from __future__ import annotations

from scripts.ci_metrics.gates import GateResult, evaluate_gates
from scripts.ci_metrics.settings import Thresholds


def test_evaluate_gates__disabled_gates_are_left_out():
    assert (
        evaluate_gates(
            Thresholds(None, None, None),
            project_lines=1.0,
            project_branches=1.0,
            diff=1.0,
            layers={},
        )
        == []
    )


def test_evaluate_gates__order_and_nothing_measured_passes():
    gates = evaluate_gates(
        Thresholds(90, 80, 70, {"b": 50, "a": 60}),
        project_lines=95.0,
        project_branches=79.99,
        diff=None,
        layers={"a": 59.0},
    )
    assert [g.name for g in gates] == [
        "project line coverage",
        "project branch coverage",
        "diff coverage",
        "a layer coverage",
        "b layer coverage",
    ]
    assert [g.passed for g in gates] == [True, False, True, False, True]
    assert gates[2].describe() == "diff coverage: nothing to measure"
    assert GateResult("x", 70.0, 70.0).describe() == "x 70.00% >= 70.00%"
