"""Markdown rendering with Jinja2 templates, fitted to GitHub's size limits."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ci_metrics.analysis import PullRequest, Report
from ci_metrics.lineranges import format_ranges, to_ranges
from ci_metrics.metrics import TEST_SUM
from ci_metrics.settings import comment_size

if TYPE_CHECKING:
    import jinja2

TEMPLATES = Path(__file__).parent / "templates"
SUMMARY_LIMIT = 1024 * 1024  # GitHub rejects step summaries above 1 MiB
# Sections left out, in this order, until the comment fits.
DROP_ORDER = ("trend", "slow", "changes", "exceptions", "tests", "files")
COMMENT_FILE_LIMIT = 50
COMMENT_ITEM_LIMIT = 20


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}%"


def _delta(value: float | None, base: float | None) -> str:
    if value is None or base is None:
        return "—"
    change = value - base
    if abs(change) < 0.005:
        return "±0.00"
    return f"{'🔺' if change > 0 else '🔻'} {change:+.2f}"


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}s"


def _md(value: object) -> str:
    return str(value).replace("|", "\\|").replace("`", "'")


def _branches(items: Iterable[tuple[int, int]]) -> str:
    return ", ".join(f"{a}→{'exit' if b < 0 else b}" for a, b in items)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _foreign(items: Mapping[int, list[str]]) -> str:
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


def _linked_lines(lines: Iterable[int], pr: PullRequest, path: str) -> str:
    """``[25-27](…R25), [30](…R30)``: each range links to its first line in the diff view."""
    parts = []
    for start, end in to_ranges(lines):
        text = f"{start}" if start == end else f"{start}-{end}"
        link = pr.line_link(path, start)
        parts.append(f"[{text}]({link})" if link else text)
    return ", ".join(parts)


def _linked_branches(items: Iterable[tuple[int, int]], pr: PullRequest, path: str) -> str:
    """``[24→25](…R24)``: each missing branch links to the line it leaves."""
    parts = []
    for line, dest in items:
        text = _branches([(line, dest)])
        link = pr.line_link(path, line)
        parts.append(f"[{text}]({link})" if link else text)
    return ", ".join(parts)


@functools.cache
def make_environment() -> jinja2.Environment:
    """The template environment (markdown output, so no HTML autoescaping); one per
    process, so the comment and the summary compile the template once. Jinja2 is
    imported here: only the commands that render pay for it."""
    import jinja2

    env = jinja2.Environment(  # noqa: S701  (renders markdown, not HTML)
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        pct=_pct,
        delta=_delta,
        seconds=_seconds,
        md=_md,
        ranges=format_ranges,
        branches=_branches,
        foreign=_foreign,
        linked_lines=_linked_lines,
        linked_branches=_linked_branches,
    )
    return env


def _render(
    env: jinja2.Environment,
    report: Report,
    marker: str,
    show: set[str],
    dropped: list[str],
    *,
    full: bool,
) -> str:
    changed = report.diff.files if report.diff else []
    uncovered = [f for f in changed if f.missing_lines or f.missing_branches]
    foreign = [f for f in changed if f.foreign_only]
    return env.get_template("comment.md.j2").render(
        report=report,
        marker=marker,
        show=show,
        dropped=dropped,
        uncovered_files=uncovered,
        foreign_files=foreign,
        foreign_count=sum(len(f.foreign_only) for f in foreign),
        test_sum=TEST_SUM,
        file_limit=len(uncovered) if full else COMMENT_FILE_LIMIT,
        item_limit=10**9 if full else COMMENT_ITEM_LIMIT,
    )


def _fit(
    env: jinja2.Environment, report: Report, marker: str, limit: int, *, full: bool, size: Any = len
) -> str:
    show = set(DROP_ORDER)
    dropped: list[str] = []
    text = _render(env, report, marker, show, dropped, full=full)
    for section in DROP_ORDER:
        if size(text) <= limit:
            return text
        show.discard(section)
        dropped.append(section)
        text = _render(env, report, marker, show, dropped, full=full)
    if size(text) <= limit:
        return text
    notice = "\n\n_Truncated to fit the size limit._\n"
    budget = limit - size(notice)
    # A cut at ``budget`` UTF-8 bytes also bounds UTF-16 units (comment_size): no
    # character takes fewer bytes than units.
    encoded = text.encode("utf-8")[: max(budget, 0)] if size is not len else None
    cut = encoded.decode("utf-8", "ignore") if encoded is not None else text[: max(budget, 0)]
    return cut + notice


def render_comment(report: Report, marker: str, limit: int) -> str:
    """The pull-request comment: at most ``limit`` characters as ``post`` counts them
    (:func:`comment_size`), detail dropped in order."""
    return _fit(make_environment(), report, marker, limit, full=False, size=comment_size)


def render_summary(report: Report) -> str:
    """The full report for ``$GITHUB_STEP_SUMMARY`` (under 1 MiB of UTF-8)."""
    return _fit(
        make_environment(),
        report,
        "",
        SUMMARY_LIMIT,
        full=True,
        size=lambda text: len(text.encode("utf-8")),
    )


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def _command(kind: str, path: str, start: int, end: int, title: str, message: str) -> str:
    props = (
        f"file={_escape_property(path)},line={start},endLine={end},title={_escape_property(title)}"
    )
    return f"::{kind} {props}::{_escape_data(message)}"


def line_annotations(report: Report, per_type: int) -> list[str]:
    """GitHub workflow commands: grouped line annotations, at most ``per_type`` of each type."""
    if report.diff is None:
        return []
    groups: dict[str, list[str]] = {"uncovered": [], "branches": [], "layer": []}
    for f in report.diff.files:
        for start, end in _runs(f.missing_lines):
            groups["uncovered"].append(
                _command(
                    "warning",
                    f.path,
                    start,
                    end,
                    "Uncovered changed lines",
                    f"Lines {start}-{end} changed but no test ran them."
                    if start != end
                    else f"Line {start} changed but no test ran it.",
                )
            )
        by_line: dict[int, list[int]] = {}
        for line, dest in f.missing_branches:
            by_line.setdefault(line, []).append(dest)
        for line, dests in sorted(by_line.items()):
            groups["branches"].append(
                _command(
                    "notice",
                    f.path,
                    line,
                    line,
                    "Missing branches",
                    f"Branch(es) to {_branches((line, d) for d in dests)} never taken.",
                )
            )
        for start, end in _runs(sorted(f.foreign_only)):
            owners = sorted({n for ln in range(start, end + 1) for n in f.foreign_only.get(ln, [])})
            groups["layer"].append(
                _command(
                    "notice",
                    f.path,
                    start,
                    end,
                    "Covered only by another layer",
                    f"Ran only under {', '.join(owners)}, not under {f.owner}.",
                )
            )
    lines: list[str] = []
    for items in groups.values():
        lines.extend(items[:per_type])
    return lines


def _runs(lines: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for line in lines:
        if runs and line == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], line)
        else:
            runs.append((line, line))
    return runs


def github_output(figures: Mapping[str, str]) -> str:
    """``key=value`` lines for ``$GITHUB_OUTPUT``."""
    return "".join(f"{key}={value}\n" for key, value in figures.items())
