"""The layers' pytest plugin: their markers, their guards, and the plugins they load.

Every run loads it (``pytest.ini``), wherever its tests live (``tests/`` or a
distribution's own ``scripts/ci_metrics/tests``), and it reads the layer
registry once, after pytest-cov has started coverage:

* each layer's marker (and ``unit``) is registered, so ``--strict-markers``
  still refuses any other; each test gets its layer's marker (and ``unit`` for
  the unit layers) from the folder it lives in (``tests`` in the registry), so
  ``pytest -m ci_metrics`` and ``tox -e ci_metrics`` select the same tests;
* before each test the variables the services and tools read are removed, and
  the test's layer's network policy is applied (``tests/utils/guards.py``);
* the pytest plugins the layers a run reaches declare are loaded (below);
* ci-metrics' pytest plugin is loaded for every run: it applies the quarantine
  register (``docs/quarantine.md``), so a quarantined test's failure fails no
  layer. pytest.ini does not name it because the ci_metrics layer measures its
  code, which must be imported after pytest-cov has started coverage.

``pytest.ini`` turns pytest's plugin autoloading off (``--disable-plugin-autoload``)
and names with ``-p`` the plugins every layer uses (the ``test`` dependency
group's), and this module. A layer whose tests use more names the
distributions in its registry entry (``plugins`` in
``[tool.ci_metrics.layers.<name>]``, ``pyproject.toml``): here their ``pytest11``
entry points are loaded for every layer whose test folders the run's paths
reach (with no path, ``testpaths``: every layer). The registry is the one
beside ``pytest.ini`` (the run's root directory). ``tox -e auth``,
``pytest tests/unit/auth/test_token_fuzz.py``, the ``unit`` env and the mutation
runs all load hypothesis's plugin; ``tox -e api`` does not.

It runs before the initial conftests are imported, as autoloading would, so
the plugins' command-line options (``--hypothesis-show-statistics``) are
parsed as usual; xdist workers parse the same arguments and do the same.

Why not autoload: pytest then loads every plugin installed in the env (anyio's
comes with httpx), and marks every top-level module of each such distribution
for assertion rewriting, so the first import of hypothesis in a fresh env
rewrites its ~100 modules. Loaded by entry-point name, only the plugin module
is imported through pytest.

A declared distribution that is not installed (or registers no pytest plugin)
stops the run with one line naming the layer and what to install; a run
without the plugin would report less (no falsifying-example section, no
options) and pass.
"""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.utils import guards

if TYPE_CHECKING:
    from scripts.layer_registry import Layer

#: The entry-point group pytest loads plugins from.
GROUP = "pytest11"
#: ci-metrics' pytest plugin: the quarantine register, applied in every layer.
QUARANTINE_PLUGIN = "ci_metrics.pytest_plugin"
#: The run's layers (the registry beside pytest.ini) and, per test, its layer.
REGISTRY = pytest.StashKey["dict[str, Layer]"]()
TEST_LAYER = pytest.StashKey["Layer | None"]()


def run_paths(
    args: Sequence[str],
    testpaths: Sequence[str],
    invocation_dir: Path,
    root: Path,
    *,
    pyargs: bool = False,
) -> list[Path]:
    """The paths a run collects: its positional arguments (node ids cut at ``::``)
    relative to where pytest was started, else ``testpaths`` relative to ``root``.
    With ``--pyargs`` an argument is a dotted name, taken as a path from ``root``."""
    if not args:
        return [(root / path).resolve() for path in testpaths]
    names = [arg.split("::", 1)[0] for arg in args]
    if pyargs:
        return [(root / name.replace(".", "/")).resolve() for name in names]
    return [(invocation_dir / name).resolve() for name in names]


def selected_layers(paths: Iterable[Path], layers: Mapping[str, Layer], root: Path) -> list[Layer]:
    """The layers with a test folder that holds one of ``paths``, or lies under one."""
    reached = list(paths)
    chosen = []
    for layer in layers.values():
        folders = [(root / folder).resolve() for folder in layer.tests]
        if any(p.is_relative_to(f) or f.is_relative_to(p) for p in reached for f in folders):
            chosen.append(layer)
    return chosen


def plugin_names(layers: Iterable[Layer]) -> list[str]:
    """The ``pytest11`` entry-point names of every distribution ``layers`` declare.

    Raises :class:`pytest.UsageError` for a distribution that is not installed
    or registers no pytest plugin.
    """
    wanted: dict[str, list[str]] = {}
    for layer in layers:
        for distribution in layer.plugins:
            wanted.setdefault(distribution, []).append(layer.name)
    names = []
    for distribution, by in wanted.items():
        who = f"the {' and '.join(by)} layer{'s' if len(by) > 1 else ''}"
        try:
            found = importlib.metadata.distribution(distribution)
        except importlib.metadata.PackageNotFoundError:
            raise pytest.UsageError(
                f"{who} load{'' if len(by) > 1 else 's'} the pytest plugin of {distribution} "
                "(`plugins` in pyproject.toml's layer registry), which is not installed "
                f"here: run it with `tox -e {by[0]}`, or install its dependency group"
            ) from None
        entry_points = [ep.name for ep in found.entry_points if ep.group == GROUP]
        if not entry_points:
            raise pytest.UsageError(
                f"{distribution} registers no pytest plugin ({GROUP} entry point): remove it "
                f"from the `plugins` of {who} in pyproject.toml"
            )
        names += entry_points
    return names


# Not tryfirst, and the registry reader imported here, not above: pytest-cov starts
# coverage in its own (tryfirst) implementation of this hook, and the reader is code
# the tooling layer measures; pytest loads the initial conftests in its trylast one.
@pytest.hookimpl
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    from scripts.layer_registry import RegistryError, load_layers

    namespace = early_config.known_args_namespace
    paths = run_paths(
        namespace.file_or_dir,
        early_config.getini("testpaths"),
        early_config.invocation_params.dir,
        early_config.rootpath,
        pyargs=namespace.pyargs,
    )
    try:
        registry = load_layers(early_config.rootpath / "pyproject.toml")
    except RegistryError as exc:
        raise pytest.UsageError(str(exc)) from None
    early_config.stash[REGISTRY] = registry
    layers = selected_layers(paths, registry, early_config.rootpath)
    for name in plugin_names(layers):
        # As `-p <name>` would, but a plugin blocked with `-p no:<name>` stays blocked.
        early_config.pluginmanager.load_setuptools_entrypoints(GROUP, name=name)
    try:
        early_config.pluginmanager.import_plugin(QUARANTINE_PLUGIN)
    except (ImportError, pytest.UsageError):  # pytest 9 says UsageError for a missing module
        raise pytest.UsageError(
            f"{QUARANTINE_PLUGIN} (ci-metrics' pytest plugin: the quarantine register) is not "
            "installed here: install the `test` dependency group, which holds ci-metrics"
        ) from None


def marker_lines(layers: Iterable[Layer]) -> list[str]:
    """``name: description`` of every layer marker and of ``unit``, for ``pytest --markers``."""
    layers = list(layers)
    unit = ", ".join(sorted(layer.name for layer in layers if layer.is_unit))
    lines = [f"unit: any test of the unit layers ({unit}); from the folder"]
    for layer in layers:
        network = "no sockets" if layer.network == "none" else "loopback only"
        owns = ", ".join(layer.owns) or "nothing"
        if layer.excludes:
            owns += f" but {', '.join(layer.excludes)}"
        lines.append(f"{layer.name}: {', '.join(layer.tests)}: owns {owns}; {network}")
    return lines


def layer_of(path: Path, layers: Iterable[Layer], root: Path) -> Layer | None:
    """The layer whose test folder holds ``path`` (the deepest folder, if folders nest)."""
    found: tuple[int, Layer | None] = (-1, None)
    for layer in layers:
        for folder in layer.tests:
            depth = len(Path(folder).parts)
            if depth > found[0] and path.is_relative_to(root / folder):
                found = (depth, layer)
    return found[1]


def pytest_configure(config: pytest.Config) -> None:
    for line in marker_lines(config.stash.get(REGISTRY, {}).values()):
        config.addinivalue_line("markers", line)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    layers = config.stash.get(REGISTRY, {}).values()
    root = config.rootpath.resolve()
    by_file: dict[Path, Layer | None] = {}
    for item in items:
        # Once per test file, not per test: resolving paths is most of the cost.
        if item.path not in by_file:
            by_file[item.path] = layer_of(item.path.resolve(), layers, root)
        layer = item.stash[TEST_LAYER] = by_file[item.path]
        if layer is not None:
            item.add_marker(layer.name)
            if layer.is_unit:
                item.add_marker("unit")


@pytest.fixture(autouse=True)
def _scrub_service_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in guards.service_env_names(os.environ):
        monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def _network_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    layer = request.node.stash.get(TEST_LAYER, None)
    guards.apply_network_policy(layer.network if layer is not None else None)
    yield
    guards.lift_network_policy()
