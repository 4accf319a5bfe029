"""The layer registry, and what must still be written outside it.

The registry (``[tool.ci_metrics.layers.<name>]`` in ``pyproject.toml``) declares
each CI layer once and generates its tox env (``test_layer_envs.py``) and the
workflows' job matrices (``ci-metrics plan``). What cannot be generated is checked
here, each check saying why it stays written and what to add where.
"""

from __future__ import annotations

import itertools
import re
import shlex
import tomllib

import pytest

from scripts.layer_envs import TEST_GROUP, normalized
from scripts.layer_registry import Layer, RegistryError, load_layers, parse_layers
from tests.unit.scripts.repo_config import ROOT, ini, tox_config
from tests.utils.layer_plugins import layer_of, marker_lines

LAYERS = load_layers(ROOT / "pyproject.toml")
GROUPS = tomllib.loads((ROOT / "pyproject.toml").read_text())["dependency-groups"]


def test_registry__the_plan_makes_a_job_for_every_layer_python_and_shard():
    """The workflows' layer jobs are ci-metrics plan's matrix, which it makes from the
    registry: each layer on each of its versions (and shards), with its workers and redis."""
    from ci_metrics.model.plan import full_plan, job_matrix
    from ci_metrics.settings import load_settings

    settings = load_settings(ROOT / "pyproject.toml")
    tables = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ci_metrics"]["layers"]
    matrix = job_matrix(full_plan(settings, "every layer"), settings, tables)
    assert [(job["layer"], job["python"], job["shard"]) for job in matrix] == [
        (name, python, shard)
        for name, layer in LAYERS.items()
        for python in layer.python
        for shard in range(1, layer.shards + 1)
    ]
    for job in matrix:
        layer = LAYERS[job["layer"]]
        assert (job["workers"], job.get("redis", False), job["shards"]) == (
            layer.workers,
            layer.redis,
            layer.shards,
        ), job["layer"]


def test_registry__layers_run_on_the_oldest_and_newest_python_integration_on_one():
    """The registry's own content: CI's versions follow requires-python."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    oldest = project["requires-python"].removeprefix(">=")
    newest = max((v for layer in LAYERS.values() for v in layer.python), key=_version)
    assert _version(newest) > _version(oldest)
    for layer in LAYERS.values():
        assert layer.python, f"pyproject.toml [tool.ci_metrics.layers.{layer.name}]: add python"
        assert all(_version(v) >= _version(oldest) for v in layer.python), layer.name
        if layer.redis:  # real servers and Redis: one version is enough
            assert len(layer.python) == 1, f"{layer.name}: one Python version is enough"
        else:
            assert {oldest, newest} <= set(layer.python), (
                f"pyproject.toml [tool.ci_metrics.layers.{layer.name}]: python must include "
                f"{oldest} (requires-python) and {newest} (the newest any layer runs on)"
            )


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def test_registry__coverage_measures_every_owned_path():
    """coverage.py reads .coveragerc, not the registry."""
    sources = ini(".coveragerc")["run"]["source"].split()
    for layer in LAYERS.values():
        for owned in layer.owns:
            assert any(owned == s or owned.startswith(s.rstrip("/") + "/") for s in sources), (
                f".coveragerc [run] source: add {owned} (owned by the {layer.name} layer)"
            )


def test_registry__markers_come_from_the_registry_alone():
    """pytest.ini must not register markers of its own beside the registry's."""
    assert "markers" not in ini("pytest.ini")["pytest"], (
        "pytest.ini: remove `markers`; tests/utils/layer_plugins.py registers one per layer"
    )
    registered = {line.split(":", 1)[0] for line in marker_lines(LAYERS.values())}
    assert registered == {"unit", *LAYERS}


def test_registry__every_test_folder_exists_and_every_test_file_has_a_layer():
    """A layer's tests are files in git: the registry can name them, not make them."""
    for layer in LAYERS.values():
        for folder in layer.tests:
            # Folders of the repository's `tests` package are packages; a distribution's
            # own tests folder is not one (it would be a second `tests` package).
            marker = "__init__.py" if folder.startswith("tests/") else "conftest.py"
            assert (ROOT / folder / marker).is_file(), (
                f"create {folder}/ with a {marker} (and a small conftest.py): "
                f"the {layer.name} layer's tests"
            )
    testpaths = ini("pytest.ini")["pytest"]["testpaths"].split()
    for folder in (f for layer in LAYERS.values() for f in layer.tests):
        assert any(folder == p or folder.startswith(p + "/") for p in testpaths), (
            f"pytest.ini testpaths: add {folder} (a plain `pytest` run must reach every layer)"
        )
    for path in sorted(p for top in testpaths for p in (ROOT / top).rglob("test_*.py")):
        assert layer_of(path, LAYERS.values(), ROOT) is not None, (
            f"{path.relative_to(ROOT)} belongs to no layer: move it into a layer's folder, "
            "or add its folder to a layer's `tests` in pyproject.toml"
        )


def test_registry__the_integration_layer_owns_the_services_end_to_end():
    """The registry's own content: the unit layers stay the owners of their packages."""
    assert LAYERS["integration"].owns == ("apps",)
    unit_owned = {path for layer in LAYERS.values() if layer.is_unit for path in layer.owns}
    assert {"apps/api", "apps/auth_service", "apps/kernel"} <= unit_owned


def test_registry__the_tox_layer_workflow_is_called_with_the_layer_name_only():
    """tox-layer.yml runs `tox run -e "$LAYER"`: a layer name is a tox env name."""
    for name in LAYERS:
        assert shlex.quote(name) == name


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        ({"api": ["apps/api"]}, "layers.api: must be a table ([tool.ci_metrics.layers.api])"),
        (
            {"api": {"owns": [], "tests": []}},
            "layers.api.network: is required; layers.api.workers: is required; "
            "layers.api.tests: must be a non-empty array of paths",
        ),
        (
            {
                "e2e": {
                    "owns": [""],
                    "tests": ["t"],
                    "workers": -1,
                    "network": "lan",
                    "python": ["3.13", "3.13"],
                    "shards": 0,
                    "plugins": ["hypothesis", "pytest xdist"],
                    "gpu": 1,
                }
            },
            "layers.e2e.gpu: is not a known key; layers.e2e.owns: must be an array of paths; "
            "layers.e2e.workers: must be an integer, 0 or more; "
            "layers.e2e.network: must be one of none, loopback; "
            'layers.e2e.python: must be a non-empty array of versions ("3.13"); '
            "layers.e2e.shards: must be an integer from 1 to 16; "
            'layers.e2e.plugins: must be an array of distribution names ("hypothesis")',
        ),
        (
            {
                "E2E": {
                    "owns": [],
                    "tests": ["t"],
                    "workers": 0,
                    "network": "none",
                    "python": ["3.13"],
                    "redis": 1,
                    "project": "no",
                    "optional": "yes",
                }
            },
            "layers.E2E: a layer name is lowercase letters, digits and _; "
            "layers.E2E.redis: must be true or false; layers.E2E.project: must be true or false; "
            "layers.E2E.optional: must be true or false",
        ),
    ],
)
def test_parse_layers__one_line_names_every_problem(tables, message):
    with pytest.raises(RegistryError) as info:
        parse_layers(tables)
    assert str(info.value) == f"invalid layer registry: {message}"


def test_parse_layers__ci_metrics_optional_key_is_known():
    table = {"owns": [], "tests": ["t"], "workers": 0, "network": "none", "optional": True}
    assert set(parse_layers({"smoke": table})) == {"smoke"}


def test_parse_layers__a_layer_installs_the_project_unless_it_says_not():
    table = {"owns": [], "tests": ["t"], "workers": 0, "network": "none"}
    layers = parse_layers({"apps": table, "tool": table | {"project": False}})
    assert layers["apps"].project is True
    assert layers["tool"].project is False


def test_load_layers__a_pyproject_without_a_registry_is_refused(tmp_path):
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.ci_metrics]\nlayers = {}\n")
    with pytest.raises(RegistryError, match=r"no \[tool.ci_metrics.layers.<name>\] table"):
        load_layers(path)
    with pytest.raises(RegistryError, match="cannot read"):
        load_layers(tmp_path / "absent.toml")


def group_distributions(name: str) -> set[str]:
    """The distributions a dependency group names (normalized), included groups too;
    none for a group that does not exist."""
    found: set[str] = set()
    group = next((v for k, v in GROUPS.items() if normalized(k) == normalized(name)), [])
    for requirement in group:
        if isinstance(requirement, dict):
            found |= group_distributions(requirement["include-group"])
        else:
            found.add(normalized(re.match(r"[A-Za-z0-9._-]+", requirement).group()))
    return found


def installed_by(layer: Layer) -> set[str]:
    """What a layer's env installs beyond the project: the `test` group and its own."""
    return group_distributions(TEST_GROUP) | group_distributions(layer.name)


def pytest_ini_plugins() -> tuple[list[str], list[str]]:
    """pytest.ini's addopts: (every argument, the plugins it loads with ``-p``)."""
    args = shlex.split(ini("pytest.ini")["pytest"]["addopts"])
    loaded = [value for flag, value in itertools.pairwise(args) if flag == "-p"]
    return args, [name for name in loaded if not name.startswith("no:")]


def test_registry__pytest_ini_loads_the_test_groups_plugins_and_no_other():
    """pytest.ini is read by plain pytest too: it names the `test` group's plugins itself."""
    from importlib.metadata import entry_points

    args, loaded = pytest_ini_plugins()
    assert "--disable-plugin-autoload" in args, (
        "pytest.ini addopts: add --disable-plugin-autoload (each plugin is named with -p)"
    )
    assert "tests.utils.layer_plugins" in loaded, (
        "pytest.ini addopts: add `-p tests.utils.layer_plugins` (the layers' own plugins)"
    )
    test_group = group_distributions(TEST_GROUP)
    # This env (tooling) installs the test group: its entry points say what it provides.
    provided = [ep for ep in entry_points(group="pytest11") if ep.dist is not None]
    for ep in provided:
        if normalized(ep.dist.name) in test_group:
            # By entry-point name, as autoloading would; pytest-socket's is `socket`, which
            # pytest would also mark the stdlib's socket module for rewriting by: its module.
            assert ep.name in loaded or ep.module in loaded, (
                f"pytest.ini addopts: add `-p {ep.name}` ({ep.dist.name} is in the `test` group)"
            )
    by_name = {name: ep for ep in provided for name in (ep.name, ep.module)}
    for name in loaded:
        if name == "tests.utils.layer_plugins":
            continue
        assert name in by_name, f"pytest.ini addopts: -p {name} is no installed pytest plugin"
        dist = normalized(by_name[name].dist.name)
        assert dist in test_group, (
            f"pytest.ini addopts: -p {name} comes from {dist}, which is not in the `test` group: "
            "a plugin only some layers use goes in their registry entry's `plugins`"
        )


def test_registry__a_layers_plugins_come_from_its_own_dependency_group():
    """A distribution is installed by its dependency group, which the registry only names."""
    test_group = group_distributions(TEST_GROUP)
    for layer in LAYERS.values():
        for distribution in layer.plugins:
            assert normalized(distribution) in group_distributions(layer.name), (
                f"pyproject.toml [dependency-groups] {layer.name}: add {distribution} "
                f"(the layer's registry entry loads its pytest plugin)"
            )
            assert normalized(distribution) not in test_group, (
                f"pyproject.toml: {distribution} is in the `test` group, so every layer has "
                f"it: load it in pytest.ini, not in {layer.name}'s `plugins`"
            )


def test_registry__a_layer_that_installs_a_declared_plugin_declares_it_too():
    """A group that installs hypothesis without `plugins` would run @given without its
    pytest plugin (no falsifying-example section, no --hypothesis-* options)."""
    declared = {normalized(d) for layer in LAYERS.values() for d in layer.plugins}
    for layer in LAYERS.values():
        missing = declared & installed_by(layer) - {normalized(d) for d in layer.plugins}
        assert not missing, (
            f"pyproject.toml [tool.ci_metrics.layers.{layer.name}]: add "
            f"{', '.join(sorted(missing))} to `plugins` (its dependency group installs them)"
        )
    assert declared, "no layer declares plugins: this check would check nothing"


def test_parse_layers__an_owned_path_with_a_bang_is_left_out_of_the_layer():
    entry = {"tests": ["t"], "workers": 0, "network": "none"}
    layers = parse_layers(
        {"tooling": {**entry, "owns": ["scripts", "!scripts/ci_metrics/"]},
         "ci_metrics": {**entry, "owns": ["scripts/ci_metrics"]}}
    )  # fmt: skip
    tooling = layers["tooling"]
    assert (tooling.owns, tooling.excludes) == (("scripts",), ("scripts/ci_metrics",))
    assert tooling.owns_path("scripts/mutation.py")
    assert not tooling.owns_path("scripts/ci_metrics/src/ci_metrics/cli.py")
    assert tooling.owns_path("scripts/ci_metrics_extra.py")
    assert layers["ci_metrics"].owns_path("scripts/ci_metrics/src/ci_metrics/cli.py")


def test_parse_layers__an_exclusion_must_lie_under_the_layers_own_paths():
    entry = {"tests": ["t"], "workers": 0, "network": "none"}
    with pytest.raises(RegistryError) as info:
        parse_layers({"a": {**entry, "owns": ["src", "!lib"]}, "b": {**entry, "owns": ["!"]}})
    assert str(info.value) == (
        "invalid layer registry: layers.a.owns[1]: excludes a path the layer does not own; "
        "layers.b.owns: must be an array of paths"
    )


def test_registry__both_readers_give_every_layer_the_same_owned_paths():
    """ci-metrics' settings and scripts/layer_registry.py read the same tables."""
    from ci_metrics.settings import load_settings

    settings = load_settings(ROOT / "pyproject.toml")
    for name, layer in LAYERS.items():
        owned = settings.owned[name]
        assert (owned.include, owned.exclude) == (layer.owns, layer.excludes), name


def test_registry__ci_metrics_is_tested_without_the_services():
    """Its env installs the test group's plugins, ci-metrics and the fake GitHub's server,
    nothing of the services."""
    services = {
        normalized(re.match(r"[A-Za-z0-9._-]+", d).group())
        for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    }
    layer = LAYERS["ci_metrics"]
    assert not layer.project
    assert group_distributions("ci_metrics") == {"ci-metrics", "werkzeug"}
    installed = installed_by(layer)
    assert installed == group_distributions("test") | {"ci-metrics", "werkzeug"}
    assert not installed & services - {"httpx", "tenacity"}  # ci-metrics' own dependencies too


def test_registry__the_mutation_env_installs_the_groups_of_the_layers_it_mutates():
    """tox.ini's mutation env runs several layers' tests in one env, so names their groups."""
    mutated = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutation"]["layers"]
    raw = tox_config()["testenv:mutation"]["dependency_groups"]
    installed = {normalized(group) for group in re.split(r"[,\s]+", raw) if group}
    wanted = {TEST_GROUP} | {
        normalized(name) for name in mutated if normalized(name) in map(normalized, GROUPS)
    }
    missing = sorted(wanted - installed)
    assert not missing, f"tox.ini [testenv:mutation]: add {', '.join(missing)} to dependency_groups"
