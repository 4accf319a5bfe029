"""Line annotations: GitHub workflow commands that mark changed lines on the pull request's
diff, and each failed test on its failing line."""

from __future__ import annotations

from ci_metrics.model.lineranges import to_ranges
from ci_metrics.model.report import Report
from ci_metrics.render.markdown import branches


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def _command(kind: str, path: str, start: int, end: int, title: str, message: str) -> str:
    props = (
        f"file={_escape_property(path)},line={start},endLine={end},title={_escape_property(title)}"
    )
    return f"::{kind} {props}::{_escape_data(message)}"


def failure_annotations(report: Report) -> list[str]:
    """An ``::error`` per failed test, the most telling first: on its failing line when
    the results recorded one, else on the run."""
    lines = []
    for test in report.tests.failed:
        failure = test.failure
        title = _escape_property(f"{test.nodeid} failed")
        headline = failure.headline if failure and failure.headline else "cause not recorded"
        message = _escape_data(f"{headline} ({test.verdict})")
        if failure and failure.located:
            where = f"file={_escape_property(failure.path)},line={failure.line},"
            lines.append(f"::error {where}title={title}::{message}")
        else:
            lines.append(f"::error title={title}::{message}")
    return lines


def line_annotations(report: Report, per_type: int) -> list[str]:
    """GitHub workflow commands: grouped line annotations, at most ``per_type`` of each type."""
    groups: dict[str, list[str]] = {
        "failed": failure_annotations(report),
        "uncovered": [],
        "branches": [],
        "layer": [],
    }
    for f in report.diff.files if report.diff else []:
        for start, end in to_ranges(f.missing_lines):
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
                    f"Branch(es) to {branches((line, d) for d in dests)} never taken.",
                )
            )
        for start, end in to_ranges(f.foreign_only):
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
