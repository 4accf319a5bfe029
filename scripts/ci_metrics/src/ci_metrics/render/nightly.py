"""The nightly's step summary: the trend charts of the window, and what the quarantine
register should gain or lose (proposals: the register changes only by review)."""

from __future__ import annotations

from collections.abc import Sequence

from ci_metrics.model.baseline import Baseline
from ci_metrics.model.proposals import Proposals
from ci_metrics.model.trend import trend_points
from ci_metrics.render.charts import trend_charts
from ci_metrics.render.markdown import md


def render_nightly(
    baseline: Baseline,
    layers: Sequence[str],
    proposals: Proposals,
    *,
    register: str,
    add_after: int,
    remove_after: int,
) -> str:
    """The step summary of ``baseline merge``: charts, then the register's proposals."""
    runs = len(baseline.runs)
    newest = baseline.newest
    lines = ["## Nightly baseline", ""]
    if newest is not None:
        repeats = len(baseline.repeats)
        beside = (
            f" and {repeats} repeat{'s' if repeats != 1 else ''} of their commits (other runs "
            "of the same commit, for the coverage noise)"
            if repeats
            else ""
        )
        lines += [
            f"{runs} run{'s' if runs != 1 else ''} in the window{beside}; the newest is run "
            f"{newest.run_id or 'local'} at `{newest.sha[:10] or 'local'}`.",
            "",
        ]
    charts = trend_charts(trend_points(baseline, list(layers)), layers)
    lines += ["### Trends", "", charts or "_Fewer than two runs: no trend yet._", ""]
    lines += ["### Quarantine proposals", ""]
    lines += _proposed(
        f"Flaked at least {add_after} times in the last {runs} runs: add to `{register}` "
        "(with an owner, an issue and a review date).",
        ("| Test | Layer | Flaked |", "|---|---|---:|"),
        [f"| `{md(p.nodeid)}` | {p.layer} | {p.flakes} of {p.runs} |" for p in proposals.add],
    )
    lines.append("")
    lines += _proposed(
        f"Quarantined, and no failure in the newest {remove_after} runs: take out of `{register}`.",
        ("| Test | Entry | Owner |", "|---|---|---|"),
        [f"| `{md(e.test)}` | `{register}:{e.line}` | {md(e.owner)} |" for e in proposals.remove],
    )
    return "\n".join(lines) + "\n"


def _proposed(why: str, header: tuple[str, str], rows: list[str]) -> list[str]:
    """One kind of proposal: why, then its table, or ``None.`` when there is none."""
    return [why, "", *([*header, *rows] if rows else ["None."])]
