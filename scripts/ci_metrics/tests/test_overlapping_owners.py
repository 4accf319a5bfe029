"""An end-to-end layer that owns all of apps/ beside unit layers that own its packages.

The registry gives ``integration`` the services' whole tree (``apps``) while
``api`` owns ``apps/api``: the integration row shows the share of every service
statement the end-to-end tests ran, a changed line keeps its most specific owner,
and a changed file that only the outer layer owns must still be measured.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ci_metrics.inputs.gitdiff import Diff
from ci_metrics.model.analysis import build_report
from ci_metrics.model.diff_coverage import diff_coverage
from ci_metrics.model.metrics import layer_line_coverage, layer_summary
from ci_metrics.model.report import PullRequest
from ci_metrics.settings import Settings, Thresholds
from support.snapshots import file_entry

SETTINGS = Settings(
    layers={"api": ("apps/api",), "integration": ("apps",)},
    thresholds=Thresholds(False, False, 90.0, {"api": 50.0}),
)
FILES = {
    # api's own tests ran lines 1-2, the end-to-end tests lines 2-4
    "apps/api/views.py": file_entry(
        [1, 2, 3, 4], [], layers={"api": [1, 2], "integration": [2, 3, 4]}
    ),
    # no unit layer owns the kernel here: only the end-to-end tests answer for it
    "apps/kernel/health.py": file_entry([1, 2], [2], layers={"integration": [1]}),
    "logging_lib/sinks.py": file_entry([1, 2], [], layers={"integration": [1, 2]}),
}


def test_owning_layer__the_most_specific_owner_wins_the_outer_one_keeps_the_rest():
    assert SETTINGS.owning_layer("apps/api/views.py") == "api"
    assert SETTINGS.owning_layer("apps/kernel/health.py") == "integration"
    assert SETTINGS.owning_layer("logging_lib/sinks.py") is None
    assert SETTINGS.owns("integration", "apps/api/views.py")
    assert not SETTINGS.owns("api", "apps/kernel/health.py")


def test_layer_figure__counts_every_file_under_the_layers_owned_paths():
    # integration: 3 of api's 4 statements and 1 of the kernel's 2, not logging_lib
    assert layer_line_coverage(FILES, SETTINGS, "integration") == round(100 * 4 / 6, 2)
    assert layer_line_coverage(FILES, SETTINGS, "api") == 50.0


def test_layer_summary__the_end_to_end_row_shows_its_share_of_the_services(make_snapshot):
    summary = layer_summary(make_snapshot(files=FILES), SETTINGS)
    assert summary["integration"]["coverage"] == 66.67
    assert summary["api"]["coverage"] == 50.0


def test_diff_coverage__a_changed_line_is_judged_by_its_most_specific_owner():
    dcov = diff_coverage(FILES, {"apps/api/views.py": {3, 4}}, SETTINGS)
    (fd,) = dcov.files
    assert fd.owner == "api"
    # covered, but only by the end-to-end layer: listed as such
    assert (fd.covered, fd.owner_covered) == (2, 0)
    assert fd.foreign_only == {3: ["integration"], 4: ["integration"]}
    assert dcov.owner_percent("api") == 0.0
    assert dcov.owner_percent("integration") is None


def test_diff_coverage__a_file_only_the_outer_layer_owns_is_judged_by_it():
    dcov = diff_coverage(FILES, {"apps/kernel/health.py": {1, 2}}, SETTINGS)
    (fd,) = dcov.files
    assert (fd.owner, fd.owner_covered, fd.statements) == ("integration", 1, 2)


def test_diff_coverage__a_changed_file_without_data_under_the_outer_owner_fails_closed():
    dcov = diff_coverage(FILES, {"apps/new_service/app.py": {1}}, SETTINGS)
    assert dcov.unmeasured == ["apps/new_service/app.py"]
    outside = diff_coverage(FILES, {"benchmarks/x.py": {1}}, SETTINGS)
    assert outside.unmeasured == []


def test_report__the_unmeasured_file_fails_the_diff_gate_and_the_rows_stay_apart(make_snapshot):
    diff = Diff(base="main", changed={"apps/api/views.py": {3}, "apps/new_service/app.py": {1}})
    report = build_report(
        snapshot=make_snapshot(files=FILES, tests={"api": {}, "integration": {}}),
        baseline=None,
        diff=diff,
        settings=SETTINGS,
        register=[],
        pr=PullRequest(head_sha="a" * 40),
        now=datetime(2026, 3, 1, tzinfo=UTC),
    )
    rows = {row.name: row for row in report.layers}
    assert (rows["api"].coverage, rows["integration"].coverage) == (50.0, 66.67)
    assert rows["api"].foreign_only == 1
    diff_gate = next(gate for gate in report.gates if gate.name == "diff coverage")
    assert not diff_gate.passed
    assert "apps/new_service/app.py" in (diff_gate.problem or "")


def test_an_excluded_sub_path__counts_for_its_own_layer_only():
    """tooling owns scripts but scripts/ci_metrics, which ci_metrics owns: the sub-path
    is neither in tooling's figure nor judged by tooling's tests."""
    settings = Settings(
        layers={
            "tooling": ("scripts", "!scripts/ci_metrics"),
            "ci_metrics": ("scripts/ci_metrics",),
        }
    )
    files = {
        "scripts/mutation.py": file_entry([1, 2], [], layers={"tooling": [1, 2]}),
        "scripts/ci_metrics/src/cli.py": file_entry([1, 2], [2], layers={"ci_metrics": [1]}),
    }
    assert layer_line_coverage(files, settings, "tooling") == 100.0
    assert layer_line_coverage(files, settings, "ci_metrics") == 50.0
    changed = {"scripts/ci_metrics/src/cli.py": {1, 2}, "scripts/mutation.py": {2}}
    dcov = diff_coverage(files, changed, settings)
    assert {f.path: f.owner for f in dcov.files} == {
        "scripts/ci_metrics/src/cli.py": "ci_metrics",
        "scripts/mutation.py": "tooling",
    }
    assert (dcov.owner_percent("ci_metrics"), dcov.owner_percent("tooling")) == (50.0, 100.0)
