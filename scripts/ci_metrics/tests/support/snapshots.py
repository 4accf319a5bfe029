"""Snapshots and their file entries, built from plain line lists."""

from __future__ import annotations

from ci_metrics.model.lineranges import to_ranges
from ci_metrics.model.outcomes import EnvTiming, TestResult
from ci_metrics.model.snapshot import Snapshot


def file_entry(
    statements, missing=(), *, multiline=(), branches=None, layers=None, layer_branches=None
):
    """A snapshot file entry from plain line lists (``layer_branches``:
    ``{layer: {line: [destinations]}}``)."""
    return {
        "statements": to_ranges(statements),
        "missing": to_ranges(missing),
        "multiline": [list(m) for m in multiline],
        "branches": branches or {},
        "layers": {name: to_ranges(lines) for name, lines in (layers or {}).items()},
        "layer_branches": {
            name: {str(line): list(ends) for line, ends in lines.items()}
            for name, lines in (layer_branches or {}).items()
        },
    }


def make_snapshot(
    files=None,
    tests=None,
    timing=None,
    sha="a" * 40,
    run_id="7",
    created_at="2026-03-01T12:00:00+00:00",
):
    """A Snapshot from file entries and ``{layer: {nodeid: (outcome, secs, reruns)}}``."""
    return Snapshot(
        created_at=created_at,
        sha=sha,
        run_id=run_id,
        files=files or {},
        tests={
            layer: {n: TestResult(*r) for n, r in res.items()}
            for layer, res in (tests or {}).items()
        },
        timing={k: EnvTiming(*v) for k, v in (timing or {}).items()},
    )
