"""The tox envs the layer registry generates (``scripts/layer_envs.py``, ``toxfile.py``).

The sections are checked as written, for registries made up here, and as tox
reads them: ``tox config`` on this repository and on a copy whose registry is
broken, with the tox of the lock (the tooling group installs it).
"""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest

from scripts.layer_envs import (
    COVERAGE,
    LABELS,
    PYTEST_ARGS,
    TEST_GROUP,
    UNIT,
    layer_envs,
    load_layer_envs,
)
from scripts.layer_registry import Layer, RegistryError, load_layers
from tests.unit.scripts.repo_config import ROOT

LAYERS = load_layers(ROOT / "pyproject.toml")


def make_layer(name="e2e", **changes):
    fields = {
        "name": name,
        "owns": ("apps/e2e",),
        "tests": ("tests/e2e",),
        "workers": 3,
        "network": "loopback",
    }
    return Layer(**(fields | changes))


def sections_of(*layers, groups=(TEST_GROUP,)):
    return layer_envs({layer.name: layer for layer in layers}, groups).sections


# -- the sections, as written ---------------------------------------------------------


def test_layer_envs__a_layer_runs_its_tests_under_its_marker_with_its_workers():
    section = sections_of(make_layer(tests=("tests/e2e", "tests/more")))["e2e"]
    assert section["commands"] == " ".join(
        ["pytest tests/e2e tests/more -m e2e", *PYTEST_ARGS, "-n {env:PYTEST_WORKERS:3} {posargs}"]
    )
    assert section["commands_pre"] == "python -m scripts.layer_results prepare {env_name}"
    assert section["set_env"].split("\n")[1:] == [
        "COVERAGE_LAYER = {env_name}",
        "COVERAGE_FILE = {toxinidir}/results/coverage/layers/.coverage.{env_name}"
        "-py{py_dot_ver}{env:LAYER_SHARD:}",
    ]
    assert section["labels"] == "layers, ci, test"
    assert section["description"] == (
        "e2e layer: tests/e2e, tests/more, covering apps/e2e (loopback only)"
    )


def test_layer_envs__every_result_file_names_the_python_version_and_the_shard():
    """Parallel jobs of one layer (versions, shards) upload into one folder."""
    results = [arg for arg in PYTEST_ARGS if arg.startswith(("--junitxml=", "--report-log="))]
    assert len(results) == 2
    for arg in results:
        assert "{toxinidir}/results/{env_name}/" in arg
        assert "-py{py_dot_ver}{env:LAYER_SHARD:}." in arg


def test_layer_envs__a_layer_installs_test_and_its_own_group_when_there_is_one():
    with_group = make_layer("e2e")
    without = make_layer("api")
    sections = sections_of(with_group, without, groups=(TEST_GROUP, "e2e", "lint"))
    assert sections["e2e"]["dependency_groups"] == "test, e2e"
    assert sections["api"]["dependency_groups"] == "test"
    assert "only_groups" not in sections["e2e"]


def test_layer_envs__group_names_compare_as_pep_735_normalizes_them():
    sections = sections_of(make_layer("ci_metrics"), groups=("Test", "ci-metrics"))
    assert sections["ci_metrics"]["dependency_groups"] == "test, ci_metrics"


def test_layer_envs__a_layer_without_the_project_installs_its_groups_alone():
    layer = make_layer("ci_metrics", project=False, network="none", owns=())
    section = sections_of(layer, groups=(TEST_GROUP, "ci_metrics"))["ci_metrics"]
    assert section["only_groups"] == "test, ci_metrics"
    assert "dependency_groups" not in section
    assert section["description"] == (
        "ci_metrics layer: tests/e2e (no sockets; without the services)"
    )


def test_layer_envs__unit_runs_every_unit_layer_with_their_groups():
    api = make_layer("api", tests=("tests/unit/api",))
    auth = make_layer("auth", tests=("tests/unit/auth",))
    e2e = make_layer("e2e", redis=True)
    sections = sections_of(api, auth, e2e, groups=(TEST_GROUP, "auth", "e2e"))
    unit = sections[UNIT]
    assert unit["dependency_groups"] == "test, auth"
    assert unit["commands"].startswith("pytest tests/unit -m unit --cov ")
    assert unit["commands"].endswith(" -n {env:PYTEST_WORKERS:2} {posargs}")
    assert "labels" not in unit
    assert sections[COVERAGE] == {"depends": "api, auth, e2e, unit"}
    assert sections["e2e"]["description"].endswith("(loopback only; a real redis-server)")


def test_layer_envs__no_unit_env_without_a_unit_layer():
    envs = layer_envs({"e2e": make_layer()}, [TEST_GROUP])
    assert envs.new_envs == ("e2e",)
    assert envs.layers == ("e2e",)
    assert envs.sections[COVERAGE] == {"depends": "e2e"}


def test_layer_envs__one_line_names_every_problem():
    layers = {
        "unit": make_layer("unit"),
        "coverage": make_layer("coverage"),
        "solo": make_layer("solo", project=False),
    }
    with pytest.raises(RegistryError) as info:
        layer_envs(layers, ["lint"])
    assert str(info.value) == (
        "invalid layer registry: [dependency-groups] has no `test` group (every layer env's); "
        "layers.unit: is the name of another tox env; "
        "layers.coverage: is the name of another tox env; "
        "layers.solo.project: false installs the dependency group `solo` alone, and there is none"
    )


def test_load_layer_envs__the_repository_gets_one_env_per_layer_and_unit():
    envs = load_layer_envs(ROOT / "pyproject.toml")
    assert envs.layers == tuple(LAYERS)
    assert envs.new_envs == (*LAYERS, UNIT)


def test_load_layer_envs__an_unreadable_pyproject_is_refused(tmp_path):
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.ci_metrics.layers.e2e]\ntests = [")
    with pytest.raises(RegistryError, match="cannot read"):
        load_layer_envs(path)


# -- as tox reads them ----------------------------------------------------------------

KEYS = [
    "description",
    "commands_pre",
    "commands",
    "commands_post",
    "set_env",
    "dependency_groups",
    "only_groups",
    "labels",
    "depends",
    "py_dot_ver",
]


#: What the generated sections read from the environment; CI sets both for its layer jobs.
KNOBS = ("PYTEST_WORKERS", "LAYER_SHARD")


def tox(command, *args, cwd, tmp_path, **knobs):
    """``tox <command>`` run by the lock's tox in a clean environment, with ``knobs``
    only: (exit code, output). Without FORCE_COLOR, which the CI jobs set: tox's
    messages would carry colour codes."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("TOX_") and key not in KNOBS and key != "FORCE_COLOR"
    }
    done = subprocess.run(
        [sys.executable, "-m", "tox", command, "--workdir", str(tmp_path / "work"), *args],
        cwd=cwd,
        env=env | knobs,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


@pytest.fixture(scope="module")
def tox_config(tmp_path_factory):
    """Every env and the core settings as tox reads this repository, with pytest arguments."""
    tmp_path = tmp_path_factory.mktemp("tox")
    code, output = tox(
        "config", "-e", "ALL", "--core", "-k", *KEYS, "env_list", "--", "-k", "x y",
        cwd=ROOT, tmp_path=tmp_path,
    )  # fmt: skip
    assert code == 0, output
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(output)
    return parser


def lines(value):
    return [line.strip() for line in value.strip().splitlines()]


@pytest.mark.parametrize("name", list(LAYERS))
def test_toxfile__each_layer_env_runs_as_its_registry_entry_says(tox_config, name):
    layer, env = LAYERS[name], tox_config[f"testenv:{name}"]
    version = env["py_dot_ver"]
    results = f"{ROOT}/results"
    assert re.fullmatch(r"3\.\d+", version)
    assert shlex.split(env["commands"]) == [
        "pytest",
        *layer.tests,
        "-m",
        name,
        "--cov",
        "--cov-report=",
        f"--junitxml={results}/{name}/junit-py{version}.xml",
        f"--report-log={results}/{name}/report-log-py{version}.jsonl",
        "-o",
        f"junit_suite_name={name}",
        "-n",
        str(layer.workers),
        "-k",
        "x y",
    ]
    assert env["commands_pre"] == f"python -m scripts.layer_results prepare {name}"
    assert {
        "COVERAGE_LAYER=" + name,
        f"COVERAGE_FILE={results}/coverage/layers/.coverage.{name}-py{version}",
    } <= set(lines(env["set_env"]))
    assert set(lines(env["labels"])) == set(LABELS)
    assert env["description"].startswith(f"{name} layer: {', '.join(layer.tests)}")
    installed = "dependency_groups" if layer.project else "only_groups"
    assert TEST_GROUP in lines(env[installed])


def test_toxfile__ci_sets_the_workers_and_the_shard_of_a_layer_job(tmp_path):
    code, output = tox(
        "config", "-e", "api", "-k", "commands", "py_dot_ver",
        cwd=ROOT, tmp_path=tmp_path, PYTEST_WORKERS="5", LAYER_SHARD="-3",
    )  # fmt: skip
    assert code == 0, output
    env = configparser.ConfigParser(interpolation=None)
    env.read_string(output)
    args = shlex.split(env["testenv:api"]["commands"])
    assert args[args.index("-n") + 1] == "5"
    version = env["testenv:api"]["py_dot_ver"]
    assert f"--junitxml={ROOT}/results/api/junit-py{version}-3.xml" in args


def test_toxfile__layers_join_env_list_and_coverage_waits_for_them_and_unit(tox_config):
    env_list = lines(tox_config["tox"]["env_list"])
    assert env_list[: len(LAYERS)] == list(LAYERS)
    assert {"lint", COVERAGE, "docs", "corpus"} <= set(env_list)
    assert UNIT not in env_list
    assert lines(tox_config[f"testenv:{COVERAGE}"]["depends"]) == [*LAYERS, UNIT]
    unit = tox_config[f"testenv:{UNIT}"]
    assert shlex.split(unit["commands"])[:4] == ["pytest", "tests/unit", "-m", "unit"]
    assert set(lines(unit["dependency_groups"])) >= {TEST_GROUP, "auth", "tooling"}


def test_toxfile__tox_ini_refines_a_generated_env(tox_config):
    """The integration layer's own section adds the check that its servers measured
    themselves, reading the generated env's data file."""
    env = tox_config["testenv:integration"]
    post = shlex.split(env["commands_post"])
    assert post[:4] == ["python", "-m", "scripts.layer_results", "measured"]
    data_file = post[post.index("--data-file") + 1]
    assert f"COVERAGE_FILE={data_file}" in lines(env["set_env"])
    assert post[-3:] == ["--pytest-args", "-k", "x y"]
    assert shlex.split(env["commands"])[0] == "pytest"


def test_toxfile__the_other_envs_install_nothing_of_a_layer(tox_config):
    """The base [testenv] is neutral: no other env runs pytest or prepares layer results."""
    others = (
        {
            section.split(":", 1)[1]
            for section in tox_config.sections()
            if section.startswith("testenv:")
        }
        - set(LAYERS)
        - {UNIT}
    )
    assert {"lint", COVERAGE, "html", "report", "baseline", "docs", "corpus"} <= others
    for name in others:
        env = tox_config[f"testenv:{name}"]
        assert env["commands_pre"] == "", name
        assert not env["commands"].startswith("pytest"), name
        assert not any(line.startswith("COVERAGE_LAYER=") for line in lines(env["set_env"])), name


def test_toxfile__a_malformed_registry_stops_tox_with_one_line(tmp_path):
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    for name in ("toxfile.py", "tox.ini", "scripts/__init__.py", "scripts/layer_registry.py",
                 "scripts/layer_envs.py"):  # fmt: skip
        shutil.copy(ROOT / name, project / name)
    pyproject = (ROOT / "pyproject.toml").read_text()
    broken = pyproject.replace('owns = ["apps/api"]', 'owns = "apps/api"', 1)
    assert broken != pyproject
    (project / "pyproject.toml").write_text(broken)
    code, output = tox("list", cwd=project, tmp_path=tmp_path)
    assert code != 0
    assert output.splitlines() == [
        "ROOT: HandledError| pyproject.toml: invalid layer registry: "
        "layers.api.owns: must be an array of paths"
    ]
