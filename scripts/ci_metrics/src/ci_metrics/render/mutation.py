"""The mutation scores of a nightly run, as the step summary shows them."""

from __future__ import annotations

from collections.abc import Mapping

from ci_metrics.inputs.mutation_scores import MutationScores
from ci_metrics.model.baseline import ModuleScore


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def _change(value: float | None, before: ModuleScore | None) -> str:
    old = before.score if before else None
    if value is None or old is None:
        return "new" if before is None else "—"
    change = float(value) - float(old)
    return "±0.0" if abs(change) < 0.05 else f"{change:+.1f}"


def render_scores(scores: MutationScores, previous: Mapping[str, ModuleScore]) -> str:
    """Markdown for the step summary: one row per module, worst first, with the change
    against the module's last recorded score and the modules below the goal marked."""
    rows = sorted(
        scores.modules.items(),
        key=lambda item: (-1.0 if item[1]["score"] is None else item[1]["score"], item[0]),
    )
    below = [
        name
        for name, entry in rows
        if scores.goal is not None and (entry["score"] is None or entry["score"] < scores.goal)
    ]
    goal = "" if scores.goal is None else f" (goal {scores.goal:g}%)"
    lines = [
        f"## Mutation scores{goal}",
        "",
        "| Module | Mutants | Detected | Score | vs last recorded |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, entry in rows:
        flag = " ⚠️" if name in below else ""
        lines.append(
            f"| `{name}` | {entry['mutants']} | {entry['detected']} | "
            f"{_score(entry['score'])}{flag} | {_change(entry['score'], previous.get(name))} |"
        )
    if below:
        lines += ["", f"Below the goal: {', '.join(f'`{name}`' for name in below)}."]
    if scores.failed:
        lines += ["", "Not scored tonight (their modules are missing above):", ""]
        lines += [f"- {layer}: {reason}" for layer, reason in sorted(scores.failed.items())]
    return "\n".join(lines) + "\n"
