from pathlib import Path

import coverage
import pytest

from scripts.layer_results import config_problems, main, measured_problems, prepare

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
        # every Python version's data: stale data of another version never joins a report
        touch(results / "coverage" / "layers" / ".coverage.api-py3.13"),
        touch(results / "coverage" / "layers" / ".coverage.api-py3.13-2.host.1.abc"),
    ]
    others = [
        touch(results / "coverage" / "layers" / ".coverage.api2.host.1.abc"),
        touch(results / "coverage" / "layers" / ".coverage.api-pyx"),
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


HANDLERS = """\
def list_items(store):
    items = store.all()
    return [item.name for item in items]


def create_item(store, name):
    if not name:
        raise ValueError("name")
    return store.add(name)
"""


@pytest.fixture
def layer_data(tmp_path, monkeypatch):
    """``record(context, lines)`` adds executed lines of ``handlers.py`` to one data file."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "handlers.py").write_text(HANDLERS)
    (tmp_path / ".coveragerc").write_text("[run]\nrelative_files = True\n")
    data = coverage.CoverageData(basename=str(tmp_path / ".coverage.integration"))

    def record(context, lines):
        data.set_context(context)
        data.add_lines({"handlers.py": lines})
        data.write()
        return data.data_filename()

    return record


def test_measured__passes_when_the_layer_ran_enough_of_the_file(layer_data, tmp_path):
    # Import-time lines come from another layer; the handler bodies from this one.
    layer_data("api", [1, 6])
    data_file = layer_data("integration|test_x", [2, 3, 7, 8, 9])
    rcfile = tmp_path / ".coveragerc"
    assert measured_problems(Path(data_file), "integration", [("handlers.py", 60)], rcfile) == []


def test_measured__lines_of_other_contexts_do_not_count(layer_data, tmp_path):
    # Without the servers measured, only the test process's import-time lines
    # would carry the layer's context: the check must fail, naming the figure.
    layer_data("api", [2, 3, 7, 8, 9])
    data_file = layer_data("integration", [1, 6])
    problems = measured_problems(
        Path(data_file), "integration", [("handlers.py", 60)], tmp_path / ".coveragerc"
    )
    assert problems == [
        "handlers.py: 28.6% of 7 statements run under the 'integration' context, below 60%"
    ]


def test_measured__a_file_missing_from_the_data_fails(layer_data, tmp_path):
    data_file = layer_data("integration", [1])
    (tmp_path / "other.py").write_text("x = 1\n")
    problems = measured_problems(
        Path(data_file), "integration", [("other.py", 1)], tmp_path / ".coveragerc"
    )
    assert problems == ["other.py: not measured at all under the 'integration' context"]


def test_measured__missing_data_file_fails(tmp_path):
    missing = tmp_path / ".coverage.integration"
    assert measured_problems(missing, "integration", [("x.py", 1)]) == [
        f"no coverage data at {missing}"
    ]


def test_main_measured__exit_code_and_one_line_per_problem(layer_data, tmp_path, capsys):
    data_file = layer_data("integration", [1, 6])
    args = ["measured", "integration", "--data-file", data_file]
    assert main([*args, "--require", "handlers.py=20"]) == 0
    assert "integration: measured 1 required file(s)" in capsys.readouterr().out
    assert main([*args, "--require", "handlers.py=60"]) == 1
    assert capsys.readouterr().err.count("\n") == 1


@pytest.mark.parametrize("requirement", ["handlers.py", "handlers.py=101", "=50", "x.py=many"])
def test_main_measured__rejects_malformed_requirements(requirement, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["measured", "integration", "--data-file", "x", "--require", requirement])
    assert exit_info.value.code == 2
    assert "expected PATH=PERCENT" in capsys.readouterr().err


def test_main_measured__a_narrowed_run_is_not_checked_and_says_so(tmp_path, capsys):
    missing = str(tmp_path / "absent")
    args = ["measured", "integration", "--data-file", missing, "--require", "x.py=60"]
    assert main([*args, "--pytest-args", "-k", "replay"]) == 0
    assert "not checked: pytest arguments were given (-k replay)" in capsys.readouterr().out
    assert main([*args, "--pytest-args"]) == 1  # no arguments: a full run, checked
