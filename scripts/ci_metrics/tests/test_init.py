"""``ci-metrics init``: a section proposed from the repository, appended whole or not at all."""

from __future__ import annotations

import tomllib

import pytest

from ci_metrics.cli import run
from ci_metrics.settings import parse_settings
from support.project import git, write

PYPROJECT = """\
[project]
name = "pkg"
version = "1.0"

[tool.coverage.run]
branch = true
source_pkgs = ["pkg"]
"""


@pytest.fixture(autouse=True)
def _strangers_environment(monkeypatch):
    for name in ("COVERAGE_FILE", "COVERAGE_RCFILE", "COVERAGE_LAYER", "COVERAGE_PROCESS_START"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A src-layout repository with unit and e2e test folders and no [tool.ci_metrics]."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, "pyproject.toml", PYPROJECT)
    write(root, "src/pkg/__init__.py", "")
    write(root, "src/pkg/core.py", "def f():\n    return 1\n")
    write(root, "tests/unit/test_core.py", "def test_f():\n    pass\n")
    write(root, "tests/e2e/test_cli.py", "def test_cli():\n    pass\n")
    write(root, "docs/conf.py", "")
    monkeypatch.chdir(root)
    return root


def _init(make_context, *args):
    ctx = make_context()
    code = run(["init", *args], ctx)
    return code, ctx.stdout.getvalue(), ctx.stderr.getvalue()


def test_init__appends_a_section_found_from_packages_tests_and_coverage(repo, make_context):
    code, _out, err = _init(make_context)
    assert code == 0, err
    text = (repo / "pyproject.toml").read_text(encoding="utf-8")
    assert text.startswith(PYPROJECT + "\n[tool.ci_metrics]\n")
    settings = parse_settings(tomllib.loads(text)["tool"]["ci_metrics"])
    assert {name: owned.include for name, owned in settings.owned.items()} == {
        "e2e": (),
        "unit": ("src/pkg",),
    }
    assert settings.thresholds.project_branches == 85
    # The gates without a percentage are on by default: the section says so.
    assert "(thresholds.project_no_drop, new_flaky_tests: on" in text
    assert settings.default_layer is None  # two layers: each run names its context
    assert "# The layer `unit`: the tests in tests/unit, run under their own" in text
    assert "coverage run -p --context=e2e -m pytest tests/e2e" in text
    assert "# Coverage configuration read: pyproject.toml." in text
    assert "packages: src/pkg (from the coverage configuration's source)" in err
    assert "test folders: tests/e2e (layer e2e), tests/unit (layer unit)" in err
    assert "branch coverage on" in err
    assert "appended [tool.ci_metrics] to pyproject.toml" in err


def test_init__never_changes_an_existing_section(repo, make_context):
    assert _init(make_context)[0] == 0
    before = (repo / "pyproject.toml").read_bytes()
    code, _out, err = _init(make_context)
    assert code == 2
    assert err.splitlines()[-1] == (
        "error: pyproject.toml already has [tool.ci_metrics]: init never changes it "
        "(`ci-metrics init --print` shows what it would write)"
    )
    assert (repo / "pyproject.toml").read_bytes() == before


def test_init__print_writes_nothing(repo, make_context):
    code, out, _err = _init(make_context, "--print")
    assert code == 0
    assert out.startswith("[tool.ci_metrics]\n")
    assert (repo / "pyproject.toml").read_text(encoding="utf-8") == PYPROJECT


def test_init__a_file_the_section_cannot_join_is_left_whole(repo, make_context):
    # A top-level inline `tool` table cannot be extended by a [tool.ci_metrics] header.
    write(
        repo,
        "pyproject.toml",
        'tool = { black = { line-length = 100 } }\n[project]\nname = "pkg"\n',
    )
    before = (repo / "pyproject.toml").read_bytes()
    code, _out, err = _init(make_context)
    assert code == 2
    assert "would make pyproject.toml invalid TOML" in err
    assert "nothing was written" in err
    assert (repo / "pyproject.toml").read_bytes() == before
    assert not list(repo.glob(".pyproject.toml.*"))  # no temporary file left behind


def test_init__one_flat_test_folder_without_branch_data(repo, make_context):
    write(repo, "pyproject.toml", '[project]\nname = "pkg"\nversion = "1.0"\n')
    for folder in ("unit", "e2e"):
        for path in (repo / "tests" / folder).iterdir():
            path.rename(repo / "tests" / path.name)
    code, out, err = _init(make_context, "--print")
    assert code == 0, err
    settings = parse_settings(tomllib.loads(out)["tool"]["ci_metrics"])
    assert settings.owned["unit"].include == ("src/pkg",)
    assert settings.default_layer == "unit"
    assert settings.thresholds.project_branches is False
    assert "packages: src/pkg (from the package folders)" in err
    assert "branch coverage off" in err


def test_init__creates_pyproject_when_there_is_none(repo, make_context):
    (repo / "pyproject.toml").unlink()
    code, _out, err = _init(make_context)
    assert code == 0, err
    text = (repo / "pyproject.toml").read_text(encoding="utf-8")
    assert text.startswith("[tool.ci_metrics]\n")
    assert "Coverage configuration read: none found, coverage.py's defaults." in text


def test_init__from_a_sub_folder_writes_the_nearest_pyproject_above(
    repo, make_context, monkeypatch
):
    monkeypatch.chdir(repo / "tests" / "unit")
    code, _out, err = _init(make_context)
    assert code == 0, err
    assert "project folder: ../.. (the nearest above with a pyproject.toml)" in err
    assert "[tool.ci_metrics.layers.unit]" in (repo / "pyproject.toml").read_text()
    assert not (repo / "tests" / "unit" / "pyproject.toml").exists()
