"""dev.py: the Quickstart's entry point (the parts that run without tox)."""

import dev


def write_junit(results, layer, tests, failures=0, errors=0, skipped=0, name="junit-py3.11.xml"):
    path = results / layer / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'<testsuites><testsuite name="pytest" tests="{tests}" failures="{failures}" '
        f'errors="{errors}" skipped="{skipped}"/></testsuites>'
    )


def test_summarize__sums_the_registry_layers_junit_files(tmp_path):
    write_junit(tmp_path, "api", tests=10, failures=1, skipped=2)
    write_junit(tmp_path, "kernel", tests=3)
    write_junit(tmp_path, "integration", tests=5, errors=1)
    write_junit(tmp_path, "unit", tests=99)  # not a CI layer: left out
    assert dev.summarize(tmp_path) == (
        "layers (api, kernel, integration):\ntests: 14 passed, 2 failed, 2 skipped"
    )


def test_summarize__adds_up_every_python_version_and_shard_of_a_layer(tmp_path):
    write_junit(tmp_path, "api", tests=10)
    write_junit(tmp_path, "api", tests=10, failures=1, name="junit-py3.13.xml")
    write_junit(tmp_path, "api", tests=4, name="junit-py3.13-2.xml")
    assert dev.summarize(tmp_path) == "layers (api):\ntests: 23 passed, 1 failed, 0 skipped"


def test_requirements__the_pinned_tools_without_comments(tmp_path):
    pins = tmp_path / "tools.txt"
    pins.write_text("# pinned\ntox==1.0  # the runner\n\nuv==2.0\n")
    assert dev.requirements(pins) == ["tox==1.0", "uv==2.0"]


def test_summarize__takes_the_layers_it_is_given(tmp_path):
    write_junit(tmp_path, "e2e", tests=2)
    assert dev.summarize(tmp_path, ["e2e"]) == "layers (e2e):\ntests: 2 passed, 0 failed, 0 skipped"


def test_summarize__none_without_results(tmp_path):
    assert dev.summarize(tmp_path) is None


def test_main__unknown_job_prints_usage_and_exits_2(capsys):
    assert dev.main(["deploy"]) == 2
    assert "python3 dev.py test" in capsys.readouterr().err
    assert dev.main([]) == 2
