"""The Jinja2 filters of the comment template: figures, Markdown escapes, linked line ranges."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from ci_metrics.model.failures import Failure
from ci_metrics.model.history import Verdict
from ci_metrics.model.lineranges import format_ranges, to_ranges
from ci_metrics.model.noise import Noise
from ci_metrics.model.report import PullRequest


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}%"


def delta(value: float | None, base: float | None, noise: Noise | None = None) -> str:
    """The change against the base: neutral within ``noise`` or when the noise is not
    known yet (too few runs), else with an arrow."""
    if value is None or base is None:
        return "—"
    change = value - base
    if abs(change) < 0.005:
        return "±0.00"
    if noise is not None and noise.points is None:
        return f"{change:+.2f} (noise unknown)"  # too few runs to tell it from a change
    if noise is not None and noise.within(change):
        return f"{change:+.2f} (noise)"
    return f"{'🔺' if change > 0 else '🔻'} {change:+.2f}"


def verdict(value: Verdict) -> str:
    """``passed in 30 of 30 nightly runs: **new with this change**``."""
    return f"{value.history}: **{value.meaning}**" if value.history else f"**{value.meaning}**"


def fenced(text: str) -> str:
    """``text`` in a fenced block that no run of backticks inside it can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def location(failure: Failure, pr: PullRequest) -> str:
    """``[tests/x.py:4](…#L4)`` at the head commit, or the plain place without a link."""
    if not failure.located:
        return ""
    text = f"{failure.path}:{failure.line}"
    link = pr.blob_link(failure.path, failure.line)
    return f"[{md(text)}]({link})" if link else f"`{md(text)}`"


def cause(failure: Failure | None, pr: PullRequest) -> str:
    """Why it failed, in one line: ``` `ValueError: bad value` at [x.py:4](…) (in setup)```;
    what the results did not record is said, never filled in."""
    if failure is None:
        return "_cause not recorded_"
    parts = []
    if failure.headline:
        parts.append(f"`{md(failure.headline)}`")
    if where := location(failure, pr):
        parts.append(f"at {where}")
    if failure.phase != "call":
        parts.append(f"(in {failure.phase})")
    if failure.missing:
        parts.append(f"_(missing: {md(failure.missing)})_")
    return " ".join(parts) or "_cause not recorded_"


def seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}s"


def md(value: object) -> str:
    return str(value).replace("|", "\\|").replace("`", "'")


def branches(items: Iterable[tuple[int, int]]) -> str:
    return ", ".join(f"{a}→{'exit' if b < 0 else b}" for a, b in items)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def foreign(items: Mapping[int, list[str]]) -> str:
    """``3 lines in 1 range (integration): 28-30``: counts first, then every range."""
    by_layers: dict[str, list[int]] = {}
    for line, layers in items.items():
        by_layers.setdefault("+".join(layers), []).append(line)
    ranges = sum(len(to_ranges(lines)) for lines in by_layers.values())
    head = f"{_plural(len(items), 'line')} in {_plural(ranges, 'range')}"
    if len(by_layers) == 1:
        (who, lines), *_ = by_layers.items()
        return f"{head} ({who}): {format_ranges(lines)}"
    groups = "; ".join(
        f"{format_ranges(lines)} ({who})" for who, lines in sorted(by_layers.items())
    )
    return f"{head}: {groups}"


def linked_lines(lines: Iterable[int], pr: PullRequest, path: str) -> str:
    """``[25-27](…R25), [30](…R30)``: each range links to its first line in the diff view."""
    parts = []
    for start, end in to_ranges(lines):
        text = f"{start}" if start == end else f"{start}-{end}"
        link = pr.line_link(path, start)
        parts.append(f"[{text}]({link})" if link else text)
    return ", ".join(parts)


def linked_branches(items: Iterable[tuple[int, int]], pr: PullRequest, path: str) -> str:
    """``[24→25](…R24)``: each missing branch links to the line it leaves."""
    parts = []
    for line, dest in items:
        text = branches([(line, dest)])
        link = pr.line_link(path, line)
        parts.append(f"[{text}]({link})" if link else text)
    return ", ".join(parts)


#: Name -> filter, as the template uses them.
FILTERS = {
    "pct": pct,
    "delta": delta,
    "verdict": verdict,
    "cause": cause,
    "fenced": fenced,
    "seconds": seconds,
    "md": md,
    "ranges": format_ranges,
    "branches": branches,
    "foreign": foreign,
    "linked_lines": linked_lines,
    "linked_branches": linked_branches,
}
