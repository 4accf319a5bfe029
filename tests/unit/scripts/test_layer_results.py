import pytest

from scripts.layer_results import main, prepare


def touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x")
    return path


def test_prepare__clears_only_the_layers_own_results(tmp_path):
    results = tmp_path / "results"
    touch(results / "api" / "junit.xml")
    own = [
        touch(results / "coverage" / ".coverage.api"),
        touch(results / "coverage" / ".coverage.api.host.1.abc"),
        touch(results / "coverage" / ".coverage.api-2"),
    ]
    others = [
        touch(results / "coverage" / ".coverage.api2.host.1.abc"),
        touch(results / "coverage" / ".coverage.auth.host.1.abc"),
        touch(results / "auth" / "junit.xml"),
    ]
    removed = prepare(results, "api")
    assert sorted(removed) == sorted([results / "api", *own])
    assert all(path.exists() for path in others)
    assert (results / "api").is_dir()
    assert list((results / "api").iterdir()) == []


def test_prepare__creates_folders_on_first_run(tmp_path):
    assert prepare(tmp_path / "results", "tooling") == []
    assert (tmp_path / "results" / "coverage").is_dir()


@pytest.mark.parametrize("layer", ["", "../etc", "API", "a b"])
def test_prepare__rejects_unsafe_layer_names(tmp_path, layer):
    with pytest.raises(ValueError, match="invalid layer name"):
        prepare(tmp_path, layer)


def test_main__reports_and_exits(tmp_path, capsys):
    assert main(["prepare", "api", "--results-dir", str(tmp_path)]) == 0
    assert "api: cleared 0 stale path(s)" in capsys.readouterr().out
    assert main(["prepare", "../x", "--results-dir", str(tmp_path)]) == 2
    assert "invalid layer name" in capsys.readouterr().err
