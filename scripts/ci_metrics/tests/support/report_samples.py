"""Deterministic reports for the rendering tests and their golden files."""

from __future__ import annotations

from datetime import date, timedelta

from ci_metrics.inputs.gitdiff import Diff
from ci_metrics.inputs.quarantine import QuarantineEntry
from ci_metrics.inputs.register import ExceptionEntry
from ci_metrics.model.analysis import build_report
from ci_metrics.model.baseline import empty_baseline, merge_snapshot
from ci_metrics.model.failures import Failure
from ci_metrics.model.outcomes import EnvTiming, TestResult
from ci_metrics.model.report import PullRequest
from ci_metrics.model.snapshot import Snapshot
from ci_metrics.settings import Layer, Settings, Thresholds
from support.context import NOW
from support.snapshots import file_entry

SETTINGS = Settings(
    layers={
        "api": ("apps/api",),
        "auth": ("apps/auth_service",),
        "integration": Layer(owns=(), optional=True),
    },
    thresholds=Thresholds(project_lines=80, project_branches=70, diff=90, layers={"auth": 90}),
)


def _snapshot(files, tests, timing, sha="1" * 40, run_id="100", created_at=None):
    return Snapshot(
        created_at=created_at or (NOW - timedelta(hours=5)).isoformat(timespec="seconds"),
        sha=sha,
        run_id=run_id,
        files=files,
        tests={layer: {n: TestResult(*r) for n, r in res.items()} for layer, res in tests.items()},
        timing={k: EnvTiming(*v) for k, v in timing.items()},
    )


BASE_FILES = {
    "apps/api/views.py": file_entry(
        range(1, 21), missing=[19, 20], branches={"3": [2, []]}, layers={"api": range(1, 19)}
    ),
    "apps/auth_service/tokens.py": file_entry(
        range(1, 11), missing=[10], layers={"auth": range(1, 10)}
    ),
}
HEAD_FILES = {
    "apps/api/views.py": file_entry(
        [*range(1, 22), *range(24, 31)],
        missing=[19, 20, 25, 26, 27],
        multiline=[(21, 23)],
        branches={"3": [2, []], "24": [2, [25]]},
        layers={"api": [*list(range(1, 19)), 21, 24], "integration": [28, 29, 30]},
    ),
    "apps/auth_service/tokens.py": file_entry(
        range(1, 11), missing=[10], layers={"auth": range(1, 8), "api": [8, 9]}
    ),
    "apps/api/legacy|odd.py": file_entry([1, 2], missing=[2], layers={"api": [1]}),
}
BASE_TESTS = {
    "api": {
        "tests/api/test_views.py::test_list": ("passed", 0.5, 0),
        "tests/api/test_views.py::test_flaky": ("passed", 0.2, 1),
        "tests/api/test_views.py::test_gone": ("passed", 0.1, 0),
        "tests/api/test_views.py::test_skip_later": ("passed", 0.1, 0),
        "tests/api/test_views.py::test_racy": ("quarantined", 0.3, 0),
    },
    "auth": {"tests/auth/test_tokens.py::test_issue": ("passed", 1.0, 0)},
}
ISSUE_FAILURE = Failure(
    kind="KeyError",
    message="'kid' with token=[REDACTED]",
    path="apps/auth_service/tokens.py",
    line=8,
)
FLAKE = Failure(kind="TimeoutError", path="tests/api/test_views.py", line=40)
RACE = Failure(
    kind="AssertionError",
    message="assert 2 == 1",
    path="tests/api/test_views.py",
    line=61,
    phase="setup",
)
HEAD_TESTS = {
    "api": {
        "tests/api/test_views.py::test_list": ("passed", 2.5, 0),
        "tests/api/test_views.py::test_flaky": ("passed", 0.2, 1, FLAKE),
        "tests/api/test_views.py::test_new|pipe": ("passed", 0.1, 0),
        "tests/api/test_views.py::test_skip_later": ("skipped", 0.0, 0),
        "tests/api/test_views.py::test_racy": ("quarantined", 0.3, 0, RACE),
    },
    "auth": {"tests/auth/test_tokens.py::test_issue": ("failed", 1.0, 0, ISSUE_FAILURE)},
}
QUARANTINE = [
    QuarantineEntry(
        "tests/api/test_views.py::test_racy",
        "@api-team",
        "#17",
        "races the cache",
        date(2026, 6, 1),
        9,
    )
]
DIFF = Diff(
    base="origin/main",
    changed={
        "apps/api/views.py": {21, 22, 24, 25, 26, 27, 28, 29, 30, 31},
        "apps/auth_service/tokens.py": {8, 9},
        "apps/api/legacy|odd.py": {2},
        "apps/api/new_module.py": {1, 2},
        "README.md": {3},
    },
)
REGISTER = [
    ExceptionEntry(
        "apps/api/legacy|odd.py",
        "vendored",
        "@api-team",
        date(2026, 2, 1),
        "replace",
        12,
        "apps/api/legacy|odd.py",
    ),
    ExceptionEntry(
        "apps.auth_service.keys",
        "generated",
        "@auth-team",
        date(2026, 9, 1),
        "drop",
        13,
        "apps/auth_service/keys.py",
    ),
]


BASE_RUNS = [([18, 19, 20], 9.0), ([19, 20], 10.0), ([19, 20], 11.0), ([19, 20], 10.0),
             ([19, 20], 9.5)]  # fmt: skip


def rich_report(baseline_runs=5, head_timing=None, **overrides):
    """A report exercising every section of the comment."""
    baseline = empty_baseline(SETTINGS.baseline_window)
    for index, (lines_missing, duration) in enumerate(BASE_RUNS[:baseline_runs]):
        files = dict(BASE_FILES)
        files["apps/api/views.py"] = file_entry(
            range(1, 21),
            missing=lines_missing,
            branches={"3": [2, []]},
            layers={"api": range(1, 18)},
        )
        snap = _snapshot(
            files,
            BASE_TESTS,
            {"api": (1.0, duration), "auth": (1.0, 3.0)},
            # The first two nights measured the same commit: the noise is their spread.
            sha=f"{max(index, 1)}" * 40,
            run_id=str(100 + index),
        )
        baseline = merge_snapshot(baseline, snap, SETTINGS)
    head = _snapshot(
        HEAD_FILES,
        HEAD_TESTS,
        {"api": (1.0, 14.0), "auth": (1.0, 3.0)} if head_timing is None else head_timing,
        sha="f" * 40,
        run_id="200",
        created_at=NOW.isoformat(),
    )
    kwargs = {
        "snapshot": head,
        "baseline": baseline,
        "diff": DIFF,
        "settings": SETTINGS,
        "register": REGISTER,
        "now": NOW,
        "pr": PullRequest(head_sha="f" * 40, number=42, repository="octo/repo"),
        "quarantine": QUARANTINE,
    }
    kwargs.update(overrides)
    return build_report(**kwargs)


def report_of(snapshot, settings, **changes):
    """The report of ``snapshot`` alone at :data:`NOW`: no baseline, no diff, no register,
    no pull request, unless ``changes`` (``build_report``'s keywords) say otherwise."""
    alone = {"baseline": None, "diff": None, "register": [], "pr": PullRequest(), "now": NOW}
    return build_report(**{"snapshot": snapshot, "settings": settings, **alone, **changes})


def bare_report():
    """No baseline, no diff, no register, no tests."""
    head = _snapshot(BASE_FILES, {}, {}, sha="", run_id="local")
    return report_of(head, SETTINGS, no_diff="skipped with --no-diff", diff_skipped=True)
