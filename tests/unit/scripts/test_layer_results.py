from pathlib import Path

import pytest

from scripts.layer_results import config_problems, main, prepare

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def project(tmp_path):
    """A folder with the repository's own pytest.ini and .coveragerc."""
    for name in ("pytest.ini", ".coveragerc"):
        (tmp_path / name).write_text((ROOT / name).read_text())
    return tmp_path


def touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x")
    return path


def test_prepare__clears_only_the_layers_own_results(tmp_path):
    results = tmp_path / "results"
    touch(results / "api" / "junit.xml")
    own = [
        touch(results / "coverage" / "layers" / ".coverage.api"),
        touch(results / "coverage" / "layers" / ".coverage.api.host.1.abc"),
        touch(results / "coverage" / "layers" / ".coverage.api-2"),
    ]
    others = [
        touch(results / "coverage" / "layers" / ".coverage.api2.host.1.abc"),
        touch(results / "coverage" / "layers" / ".coverage.auth.host.1.abc"),
        touch(results / "auth" / "junit.xml"),
    ]
    removed = prepare(results, "api")
    assert sorted(removed) == sorted([results / "api", *own])
    assert all(path.exists() for path in others)
    assert (results / "api").is_dir()
    assert list((results / "api").iterdir()) == []


def test_prepare__creates_folders_on_first_run(tmp_path):
    assert prepare(tmp_path / "results", "tooling") == []
    assert (tmp_path / "results" / "coverage" / "layers").is_dir()


@pytest.mark.parametrize("layer", ["", "../etc", "API", "a b"])
def test_prepare__rejects_unsafe_layer_names(tmp_path, layer):
    with pytest.raises(ValueError, match="invalid layer name"):
        prepare(tmp_path, layer)


def test_main__reports_and_exits(project, capsys):
    args = ["--results-dir", str(project / "results"), "--root", str(project)]
    assert main(["prepare", "api", *args]) == 0
    assert "api: cleared 0 stale path(s)" in capsys.readouterr().out
    assert main(["prepare", "../x", *args]) == 2
    assert "invalid layer name" in capsys.readouterr().err


def test_config_problems__none_for_the_repository_config(project):
    assert config_problems(project) == []
    assert config_problems(ROOT) == []


def test_config_problems__names_missing_files(tmp_path):
    assert config_problems(tmp_path) == ["pytest.ini is missing", ".coveragerc is missing"]


def test_main__broken_coveragerc_stops_the_layer_with_one_line(project, capsys):
    (project / ".coveragerc").write_text("[run]\nbranch = maybe\n")
    (project / "results" / "api").mkdir(parents=True)
    stale = project / "results" / "api" / "junit.xml"
    stale.write_text("x")
    code = main(
        ["prepare", "api", "--results-dir", str(project / "results"), "--root", str(project)]
    )
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    rcfile = project / ".coveragerc"
    assert err == [f"layer_results: api: Couldn't read config file {rcfile}: Not a boolean: maybe"]
    assert stale.exists()  # nothing is cleared when the layer cannot run
