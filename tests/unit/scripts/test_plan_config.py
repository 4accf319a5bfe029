"""This repository's ``[tool.ci_metrics.plan]``: what runs every layer, what runs none.

A shared input is anything every layer's run loads besides its own tests and what
they import: the plan cannot see those through the import graph, so they must be
listed. What is declared unaffected must be read by no test.
"""

from __future__ import annotations

import re
import subprocess

from ci_metrics.inputs.imports import build_graph
from ci_metrics.model.patterns import first_match
from ci_metrics.settings import SHARED, load_settings
from scripts.layer_envs import load_layer_envs
from tests.unit.scripts.repo_config import ROOT
from tests.utils.layer_plugins import QUARANTINE_PLUGIN

SETTINGS = load_settings(ROOT / "pyproject.toml")
PLAN = SETTINGS.plan
#: What every layer's run loads without a test importing it: tox's inline plugin, the
#: pytest plugin pytest.ini names for every run, and ci-metrics' plugin, which that one
#: loads by name.
LOADED_BY_EVERY_RUN = (
    "toxfile.py",
    "tests/utils/layer_plugins.py",
    "scripts/ci_metrics/src/" + QUARANTINE_PLUGIN.replace(".", "/") + ".py",
)


def python_files() -> dict[str, bytes]:
    listed = subprocess.run(
        ["git", "ls-files", "--", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return {path: (ROOT / path).read_bytes() for path in listed if (ROOT / path).is_file()}


def test_plan__the_shared_inputs_keep_ci_metrics_defaults():
    missing = [pattern for pattern in SHARED if pattern not in PLAN.shared]
    assert not missing, f"pyproject.toml [tool.ci_metrics.plan] shared: add {missing}"


def test_plan__every_module_a_layer_run_loads_on_its_own_is_shared():
    graph = build_graph(python_files())
    assert all((ROOT / path).is_file() for path in LOADED_BY_EVERY_RUN)
    for path in python_files():
        loaders = (graph.importers(path) | {path}) & set(LOADED_BY_EVERY_RUN)
        if loaders:
            assert first_match(path, PLAN.shared), (
                f"pyproject.toml [tool.ci_metrics.plan] shared: add {path} "
                f"({', '.join(sorted(loaders))} imports it for every layer)"
            )


def test_plan__the_quarantine_register_every_layer_reads_is_shared():
    """ci-metrics' plugin reads it in every layer's run, whatever the tests import."""
    register = SETTINGS.quarantine.register
    assert first_match(register, PLAN.shared), f"[tool.ci_metrics.plan] shared: add {register}"


def test_plan__what_every_layer_env_runs_before_its_tests_is_shared():
    sections = load_layer_envs(ROOT / "pyproject.toml").sections
    modules = {
        module
        for section in sections.values()
        for module in re.findall(r"python -m ([\w.]+)", section.get("commands_pre", ""))
    }
    assert modules
    for module in modules:
        path = module.replace(".", "/") + ".py"
        assert first_match(path, PLAN.shared), f"[tool.ci_metrics.plan] shared: add {path}"


#: A line that names a path of this repository: from its root, as the tests find it.
REPO_PATH = re.compile(r"\b(?:ROOT|REPO)\b|parents\[\d\]")


def test_plan__no_test_reads_what_is_declared_unaffected():
    """As far as a grep can tell: no line of a layer's tests, or of a module they import,
    that builds a path from the repository's root names a file an unaffected pattern
    matches. (The corpus check reads the docs' worked example; it is no layer.)"""
    from scripts.layer_registry import load_layers

    sources = python_files()
    graph = build_graph(sources)
    layer_tests = {
        path
        for layer in load_layers(ROOT / "pyproject.toml").values()
        for path in sources
        if layer.tests and any(path.startswith(folder.rstrip("/") + "/") for folder in layer.tests)
    }
    read_by_tests = {p for p in sources if p in layer_tests or graph.importers(p) & layer_tests}
    quoted = re.compile(r"[\"']([\w./-]+)[\"']")
    checked = 0
    for path in sorted(read_by_tests):
        for number, line in enumerate(sources[path].decode().splitlines(), start=1):
            if not REPO_PATH.search(line):
                continue
            checked += 1
            for name in quoted.findall(line):
                # A name may be a file, or a folder whose files are read.
                pattern = first_match(name.strip("/"), PLAN.unaffected) or first_match(
                    name.strip("/") + "/x", PLAN.unaffected
                )
                assert pattern is None, f"{path}:{number} reads {name}, unaffected by {pattern}"
    assert checked
