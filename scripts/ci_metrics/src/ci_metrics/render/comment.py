"""The pull-request comment and the step summary: Jinja2 templates fitted to GitHub's limits."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ci_metrics.model.metrics import TEST_SUM
from ci_metrics.model.report import Report
from ci_metrics.render.charts import trend_charts
from ci_metrics.render.markdown import FILTERS
from ci_metrics.render.size import comment_size

if TYPE_CHECKING:
    import jinja2

TEMPLATES = Path(__file__).parent / "templates"
SUMMARY_LIMIT = 1024 * 1024  # GitHub rejects step summaries above 1 MiB
# Sections left out, in this order, until the comment fits.
DROP_ORDER = ("trend", "slow", "changes", "exceptions", "quarantined", "tests", "files")
COMMENT_FILE_LIMIT = 50
COMMENT_ITEM_LIMIT = 20


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
    env.filters.update(FILTERS)
    return env


def _render(
    env: jinja2.Environment,
    report: Report,
    marker: str,
    show: set[str],
    dropped: list[str],
    *,
    full: bool,
    charts: str,
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
        trend_charts=charts,
        full=full,
        file_limit=len(uncovered) if full else COMMENT_FILE_LIMIT,
        item_limit=10**9 if full else COMMENT_ITEM_LIMIT,
    )


def _fit(
    env: jinja2.Environment,
    report: Report,
    marker: str,
    limit: int,
    *,
    full: bool,
    size: Callable[[str], int] = len,
) -> str:
    show = set(DROP_ORDER)
    dropped: list[str] = []
    layers = list(dict.fromkeys(row.name for row in report.layers))
    charts = trend_charts(report.trend_points, layers)
    text = _render(env, report, marker, show, dropped, full=full, charts=charts)
    for section in DROP_ORDER:
        if size(text) <= limit:
            return text
        show.discard(section)
        dropped.append(section)
        text = _render(env, report, marker, show, dropped, full=full, charts=charts)
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


def render_all_clear(report: Report, marker: str, all_clear: str) -> str:
    """The comment when nothing asks for action: one line, marked so that ``post`` edits
    an existing comment down to it and creates none."""
    where = f"at `{report.pr.head_sha[:7]}`" if report.pr.head_sha else "in the working tree"
    return (
        f"{marker}\n{all_clear}\n"
        f"✅ All clear {where}: nothing to act on (the job summary has the full report).\n"
    )


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
