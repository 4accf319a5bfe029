"""The layer plugin loader: which layers a run selects, what it loads, how it refuses."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from scripts.layer_registry import Layer
from tests.utils.layer_plugins import (
    layer_of,
    marker_lines,
    plugin_names,
    run_paths,
    selected_layers,
)


def layer(name, tests, plugins=()):
    return Layer(name=name, owns=(), tests=tests, workers=0, network="none", plugins=plugins)


LAYERS = {
    "api": layer("api", ("tests/unit/api",)),
    "auth": layer("auth", ("tests/unit/auth",), ("hypothesis",)),
    "tooling": layer("tooling", ("tests/unit/utils", "tests/unit/scripts")),
    "integration": layer("integration", ("tests/integration",), ("hypothesis",)),
}


@pytest.mark.parametrize(
    ("args", "selected"),
    [
        (["tests/unit/auth"], ["auth"]),
        (["tests/unit/auth/test_x.py::test_y[1]"], ["auth"]),
        (["tests/unit"], ["api", "auth", "tooling"]),
        (["tests/unit/api", "tests/unit/scripts/test_x.py"], ["api", "tooling"]),
        ([], ["api", "auth", "tooling", "integration"]),  # testpaths
        (["apps"], []),
        (["tests/unit/authz"], []),  # a sibling that only shares a prefix
    ],
)
def test_selected_layers__are_those_whose_folders_the_run_reaches(tmp_path, args, selected):
    paths = run_paths(args, ["tests"], tmp_path, tmp_path)
    assert [chosen.name for chosen in selected_layers(paths, LAYERS, tmp_path)] == selected


def test_run_paths__are_relative_to_where_pytest_started(tmp_path):
    paths = run_paths(["auth"], ["tests"], tmp_path / "tests" / "unit", tmp_path)
    assert [found.name for found in selected_layers(paths, LAYERS, tmp_path)] == ["auth"]


def test_run_paths__with_pyargs_take_dotted_names_from_the_root(tmp_path):
    paths = run_paths(["tests.unit.auth"], ["tests"], tmp_path / "elsewhere", tmp_path, pyargs=True)
    assert [found.name for found in selected_layers(paths, LAYERS, tmp_path)] == ["auth"]


def test_plugin_names__are_the_entry_points_of_the_declared_distributions():
    names = plugin_names([layer("x", ("t",), ("pytest-xdist",))])
    assert sorted(names) == ["xdist", "xdist.looponfail"]


def test_plugin_names__of_a_distribution_two_layers_declare_come_once():
    twice = [layer("a", ("a",), ("pytest-xdist",)), layer("b", ("b",), ("pytest-xdist",))]
    assert sorted(plugin_names(twice)) == ["xdist", "xdist.looponfail"]


def test_plugin_names__a_missing_distribution_is_a_usage_error_naming_the_layer():
    with pytest.raises(pytest.UsageError) as info:
        plugin_names([layer("auth", ("t",), ("no-such-distribution",))])
    assert str(info.value) == (
        "the auth layer loads the pytest plugin of no-such-distribution (`plugins` in "
        "pyproject.toml's layer registry), which is not installed here: run it with "
        "`tox -e auth`, or install its dependency group"
    )


def test_plugin_names__a_distribution_without_a_pytest_plugin_is_refused():
    with pytest.raises(pytest.UsageError, match=r"^pytest registers no pytest plugin"):
        plugin_names([layer("auth", ("t",), ("pytest",))])


@pytest.fixture
def registry_run(pytester):
    """A project whose registry gives the `fuzz` layer xdist's plugin, and pytest.ini that
    loads nothing else: the plugin loader decides."""
    pytester.makefile(
        ".toml",
        pyproject=textwrap.dedent(
            """
            [tool.ci_metrics.layers.fuzz]
            owns = []
            tests = ["fuzz"]
            workers = 0
            network = "none"
            plugins = ["pytest-xdist"]

            [tool.ci_metrics.layers.plain]
            owns = []
            tests = ["plain"]
            workers = 0
            network = "none"
            """
        ),
    )
    pytester.makeini("[pytest]\naddopts = --disable-plugin-autoload -p tests.utils.layer_plugins")
    probe = textwrap.dedent(
        """
        def test_probe(pytestconfig):
            print("xdist", pytestconfig.pluginmanager.hasplugin("xdist"))
            print("quarantine", pytestconfig.pluginmanager.hasplugin("ci_metrics.pytest_plugin"))
        """
    )
    for folder in ("fuzz", "plain"):
        (pytester.path / folder).mkdir()
        (pytester.path / folder / "test_probe.py").write_text(probe)
    return pytester


def test_loader__loads_a_layers_plugin_before_options_are_parsed(registry_run):
    # `-n` is xdist's option: it parses only if the plugin was loaded in time.
    result = registry_run.runpytest_inprocess("-p", "no:cacheprovider", "fuzz", "-n", "0", "-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*xdist True*"])


def test_loader__loads_the_quarantine_plugin_for_every_run(registry_run):
    result = registry_run.runpytest_inprocess("-p", "no:cacheprovider", "plain", "-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*quarantine True*"])


def test_loader__without_ci_metrics_the_run_stops_with_one_line(registry_run, monkeypatch):
    from tests.utils import layer_plugins

    monkeypatch.setattr(layer_plugins, "QUARANTINE_PLUGIN", "no_such_quarantine_plugin")
    result = registry_run.runpytest_inprocess("-p", "no:cacheprovider", "plain")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*no_such_quarantine_plugin (ci-metrics' pytest plugin: the quarantine register) is not "
         "installed here: install the `test` dependency group, which holds ci-metrics"]
    )  # fmt: skip


def test_loader__leaves_out_the_plugins_of_layers_the_run_does_not_reach(registry_run):
    result = registry_run.runpytest_inprocess("-p", "no:cacheprovider", "plain", "-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*xdist False*"])


def test_loader__a_plugin_blocked_on_the_command_line_stays_blocked(registry_run):
    result = registry_run.runpytest_inprocess(
        "-p", "no:cacheprovider", "-p", "no:xdist", "fuzz", "-s"
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*xdist False*"])


def test_loader__a_missing_plugin_stops_the_run_with_one_line(registry_run):
    pyproject = registry_run.path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("pytest-xdist", "no-such-distribution"))
    result = registry_run.runpytest_inprocess("-p", "no:cacheprovider", "fuzz")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*the fuzz layer loads the pytest plugin of no-such-distribution*"]
    )


def test_loader__imports_no_measured_code_before_coverage_starts():
    """pytest imports the loader (`-p`) before pytest-cov starts coverage: the registry
    reader it uses and ci-metrics' plugin, code the tooling and ci_metrics layers
    measure, must be imported later, in the hook."""
    code = (
        "import sys, tests.utils.layer_plugins; "
        "print(any(m in sys.modules for m in ('scripts.layer_registry', 'ci_metrics')))"
    )
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False"


def test_layer_of__the_deepest_test_folder_holding_a_file(tmp_path):
    layers = [
        layer("tooling", ("tests/unit/utils", "tests/unit/scripts")),
        layer("outer", ("tests",)),
        layer("ci_metrics", ("scripts/ci_metrics/tests",)),
    ]
    found = [
        layer_of(tmp_path / path, layers, tmp_path)
        for path in (
            "tests/unit/scripts/test_x.py",
            "tests/other/test_x.py",
            "scripts/ci_metrics/tests/support/x.py",
            "scripts/ci_metrics/testsuite/test_x.py",
        )
    ]
    assert [f.name if f else None for f in found] == ["tooling", "outer", "ci_metrics", None]


def test_marker_lines__one_per_layer_and_unit_naming_what_each_owns():
    lines = marker_lines(
        [
            Layer("api", ("apps/api",), ("tests/unit/api",), 0, "none"),
            Layer(
                "tooling", ("scripts",), ("tests/unit/scripts",), 2, "loopback",
                excludes=("scripts/ci_metrics",),
            ),
        ]
    )  # fmt: skip
    assert lines == [
        "unit: any test of the unit layers (api, tooling); from the folder",
        "api: tests/unit/api: owns apps/api; no sockets",
        "tooling: tests/unit/scripts: owns scripts but scripts/ci_metrics; loopback only",
    ]


def test_plugin__marks_tests_outside_tests_by_their_layer_folder(pytestconfig, request):
    """This test lives in tests/unit/utils: the plugin gave it the tooling marker."""
    assert request.node.get_closest_marker("tooling") is not None
    assert "ci_metrics" in "".join(pytestconfig.getini("markers"))
