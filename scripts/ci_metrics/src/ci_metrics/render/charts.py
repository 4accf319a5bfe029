"""Trend charts GitHub draws itself: Mermaid ``xychart-beta`` line charts in markdown.

GitHub renders a fenced ``mermaid`` block in comments and step summaries, with
the Mermaid release it bundles; the XY chart (``xychart-beta``, Mermaid 10.3
and later) is drawn where that release knows it. Each chart comes with a table
of the same numbers, for readers whose client draws no chart: a mail
notification, a screen reader, an older GitHub Enterprise Server. A run without
a figure is left out of its chart and shown as a dash in its table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ci_metrics.model.trend import TrendPoint

Figure = Callable[[TrendPoint], float | int | None]


def _label(text: str) -> str:
    # Quoted, as Mermaid reads a label with spaces; a quote inside would end it.
    return '"' + text.replace('"', "'") + '"'


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def line_chart(title: str, unit: str, points: Sequence[TrendPoint], figure: Figure) -> str:
    """A fenced Mermaid line chart of ``figure`` over ``points``; ``""`` when fewer than
    two points have the figure."""
    shown = [(p.label, value) for p in points if (value := figure(p)) is not None]
    if len(shown) < 2:
        return ""
    values = [float(value) for _label_text, value in shown]
    low, high = min(values), max(values)
    pad = (high - low) * 0.1 or max(abs(high) * 0.01, 1.0)
    bottom = max(low - pad, 0.0) if low >= 0 else low - pad
    return "\n".join(
        [
            "```mermaid",
            "xychart-beta",
            f"    title {_label(title)}",
            f"    x-axis [{', '.join(_label(text) for text, _value in shown)}]",
            f"    y-axis {_label(unit)} {_number(bottom)} --> {_number(high + pad)}",
            f"    line [{', '.join(_number(value) for value in values)}]",
            "```",
        ]
    )


def _cell(value: float | int | None, fmt: str) -> str:
    return "—" if value is None else format(value, fmt)


def table(points: Sequence[TrendPoint], columns: Sequence[tuple[str, Figure, str]]) -> str:
    """A markdown table, one row per point: the run, its commit and each column's figure
    (``(heading, figure, format)``)."""
    head = "| Run | Commit | " + " | ".join(heading for heading, _f, _fmt in columns) + " |"
    rule = "|---|---|" + "---:|" * len(columns)
    rows = [
        f"| {p.label} | `{p.sha[:7] or '—'}` | "
        + " | ".join(_cell(figure(p), fmt) for _h, figure, fmt in columns)
        + " |"
        for p in points
    ]
    return "\n".join([head, rule, *rows])


def trend_charts(points: Sequence[TrendPoint], layers: Sequence[str]) -> str:
    """Project line coverage, each layer's runtime and the flaky count over ``points``,
    each chart followed by its numbers; ``""`` with fewer than two points."""
    if len(points) < 2:
        return ""
    parts = [
        line_chart("Project line coverage", "%", points, lambda p: p.lines),
        table(points, [("Line coverage (%)", lambda p: p.lines, ".2f")]),
    ]
    runtime_columns: list[tuple[str, Figure, str]] = []
    for layer in layers:

        def runtime(p: TrendPoint, layer: str = layer) -> float | None:
            return p.runtimes.get(layer)

        parts.append(line_chart(f"{layer} runtime", "seconds", points, runtime))
        runtime_columns.append((layer, runtime, ".1f"))
    parts.append(table(points, runtime_columns))
    parts += [
        line_chart("Flaky tests", "tests", points, lambda p: p.flaky),
        table(points, [("Flaky tests", lambda p: p.flaky, "d")]),
    ]
    return "\n\n".join(part for part in parts if part) + "\n"
