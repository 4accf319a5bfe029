"""The tox envs the layer registry generates, written as tox.ini sections.

``toxfile.py`` (tox's inline plugin) hands these sections to tox's own ini reader,
so a generated env behaves as if it were written in ``tox.ini``: ``{posargs}``,
``{env:...}`` and ``{py_dot_ver}`` are resolved when tox uses them. This module
only writes their text, with the standard library: the tests read it without tox.

Each layer of the registry (:mod:`scripts.layer_registry`) becomes an env of its
name that runs the layer's ``tests`` under its marker with its ``workers``,
records coverage under its own context into its own data file, writes JUnit XML
and a report log, and installs the ``test`` dependency group plus the group
named after the layer when there is one (that group alone, without the root
project, when the layer's ``project`` is false). Each is in ``env_list`` and
carries the labels ``layers``, ``ci`` and ``test``. The ``unit`` env runs every
unit layer in one pytest process tree, and ``coverage``, which combines the
layers' data, waits for all of them.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from scripts.layer_registry import PYPROJECT, UNIT_TESTS, Layer, RegistryError, load_layers

#: The dependency group every layer env installs: pytest and the plugins pytest.ini loads.
TEST_GROUP = "test"
#: The labels of every layer env (tox.ini's own labels name the other envs).
LABELS = ("layers", "ci", "test")
#: The aggregate of the unit layers, for local use: one run, context ``unit``.
UNIT = "unit"
#: Measured: the unit layers together gain from two workers (one does not).
UNIT_WORKERS = 2
#: The env that combines the layers' coverage data, so runs after all of them.
COVERAGE = "coverage"
#: The Python version that wrote a result file and, when CI splits a layer across
#: jobs, its shard (``-2``): the files of every job merge without overwriting another,
#: and ci-metrics reads the version from the name.
SUFFIX = "-py{py_dot_ver}{env:LAYER_SHARD:}"
RESULTS = "{toxinidir}/results"
#: Where each env's coverage data goes: a folder of its own, because coverage.py's
#: report commands combine (and delete) the parallel data files beside the one they read.
COVERAGE_FILE = f"{RESULTS}/coverage/layers/.coverage.{{env_name}}{SUFFIX}"
PYTEST_ARGS = (
    "--cov",
    "--cov-report=",
    f"--junitxml={RESULTS}/{{env_name}}/junit{SUFFIX}.xml",
    f"--report-log={RESULTS}/{{env_name}}/report-log{SUFFIX}.jsonl",
    "-o junit_suite_name={env_name}",
)
_NETWORK = {"none": "no sockets", "loopback": "loopback only"}
_SEPARATORS = re.compile(r"[-_.]+")

#: One env's tox.ini keys and their values, as tox.ini would write them.
Section = dict[str, str]


@dataclass(frozen=True)
class LayerEnvs:
    """What the registry adds to tox."""

    #: tox.ini sections by env name: the layers, ``unit``, and ``coverage``'s ``depends``.
    sections: Mapping[str, Section]
    #: The CI layers, in registry order (added to ``env_list``).
    layers: tuple[str, ...]

    @property
    def new_envs(self) -> tuple[str, ...]:
        """The envs tox.ini does not define (every section but ``coverage``'s)."""
        return tuple(name for name in self.sections if name != COVERAGE)


def load_layer_envs(pyproject: Path = PYPROJECT) -> LayerEnvs:
    """The envs of ``pyproject``'s registry; :class:`RegistryError` names what is wrong."""
    layers = load_layers(pyproject)
    return layer_envs(layers, dependency_groups(pyproject))


def dependency_groups(pyproject: Path) -> frozenset[str]:
    """The names of ``pyproject``'s ``[dependency-groups]``, normalized as PEP 735 compares them."""
    try:
        groups = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("dependency-groups", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RegistryError(f"cannot read {pyproject}: {exc}") from None
    return frozenset(normalized(name) for name in groups)


def normalized(name: str) -> str:
    """A dependency group's name as PEP 735 compares it (``ci_metrics`` is ``ci-metrics``)."""
    return _SEPARATORS.sub("-", name).lower()


def layer_envs(layers: Mapping[str, Layer], groups: Iterable[str]) -> LayerEnvs:
    """The sections of ``layers``, given the dependency groups that exist; one error names
    every problem."""
    known = frozenset(normalized(name) for name in groups)
    problems: list[str] = []
    if TEST_GROUP not in known:
        problems.append(f"[dependency-groups] has no `{TEST_GROUP}` group (every layer env's)")
    for name, layer in layers.items():
        if name in (UNIT, COVERAGE):
            problems.append(f"layers.{name}: is the name of another tox env")
        if not layer.project and normalized(name) not in known:
            problems.append(
                f"layers.{name}.project: false installs the dependency group `{name}` alone, "
                "and there is none"
            )
    if problems:
        raise RegistryError("invalid layer registry: " + "; ".join(problems))
    sections = {name: layer_section(layer, known) for name, layer in layers.items()}
    unit_layers = [layer for layer in layers.values() if layer.is_unit]
    if unit_layers:
        sections[UNIT] = unit_section(unit_layers, known)
    sections[COVERAGE] = {"depends": ", ".join([*layers, *([UNIT] if unit_layers else [])])}
    return LayerEnvs(sections=sections, layers=tuple(layers))


def layer_section(layer: Layer, groups: frozenset[str]) -> Section:
    """The env of one layer."""
    own = [layer.name] if normalized(layer.name) in groups else []
    installs = ", ".join([TEST_GROUP, *own])
    section = {
        "description": describe(layer),
        "labels": ", ".join(LABELS),
        ("dependency_groups" if layer.project else "only_groups"): installs,
    }
    return section | run_keys(layer.tests, layer.name, layer.workers)


def unit_section(layers: Iterable[Layer], groups: frozenset[str]) -> Section:
    """The ``unit`` env: every unit layer's tests in one run, with every unit layer's group."""
    names = [layer.name for layer in layers]
    own = [name for name in names if normalized(name) in groups]
    return {
        "description": (
            f"the unit layers ({', '.join(names)}) in one run (local convenience; "
            "CI runs each layer on its own)"
        ),
        "dependency_groups": ", ".join([TEST_GROUP, *own]),
    } | run_keys((UNIT_TESTS.rstrip("/"),), UNIT, UNIT_WORKERS)


def run_keys(tests: Iterable[str], marker: str, workers: int) -> Section:
    """What every env that runs a layer's tests shares: clear its results, run pytest with
    the result and coverage arguments, and record coverage under the env's own context."""
    command = [
        "pytest",
        *tests,
        f"-m {marker}",
        *PYTEST_ARGS,
        f"-n {{env:PYTEST_WORKERS:{workers}}}",
        "{posargs}",
    ]
    return {
        "commands_pre": "python -m scripts.layer_results prepare {env_name}",
        "commands": " ".join(command),
        "set_env": "\nCOVERAGE_LAYER = {env_name}\nCOVERAGE_FILE = " + COVERAGE_FILE,
    }


def describe(layer: Layer) -> str:
    """``tox list``'s line for a layer: its tests, what it answers for, what it may touch."""
    covering = f", covering {', '.join(layer.owns)}" if layer.owns else ""
    limits = [_NETWORK[layer.network]]
    if layer.redis:
        limits.append("a real redis-server")
    if not layer.project:
        limits.append("without the services")
    return f"{layer.name} layer: {', '.join(layer.tests)}{covering} ({'; '.join(limits)})"
