"""Messages that lead to the fix: each names what is wrong and what to do, in one line."""

from __future__ import annotations

import json

import pytest

from ci_metrics.cli import run
from ci_metrics.errors import SettingsError
from ci_metrics.settings import load_settings, parse_settings
from support.foreign_repo import build_foreign_repo, measure
from support.project import write


@pytest.fixture(autouse=True)
def _strangers_environment(monkeypatch):
    """No COVERAGE_* variables: the tox env's own would point coverage.py elsewhere."""
    for name in ("COVERAGE_FILE", "COVERAGE_RCFILE", "COVERAGE_LAYER", "COVERAGE_PROCESS_START"):
        monkeypatch.delenv(name, raising=False)


def _run(make_context, *args, **overrides):
    ctx = make_context({}, **overrides)
    code = run(list(args), ctx)
    return code, ctx.stdout.getvalue(), ctx.stderr.getvalue()


def test_from_a_sub_folder_the_project_above_is_found_and_named(
    tmp_path, monkeypatch, make_context
):
    repo = build_foreign_repo(tmp_path / "repo", subdir="python")
    monkeypatch.chdir(repo.project / "src" / "pkg")
    code, _out, err = _run(make_context, "collect")
    assert code == 0, err
    assert "project folder: ../.. (the nearest above with [tool.ci_metrics])" in err
    assert "settings: [tool.ci_metrics] of ../../pyproject.toml" in err
    assert "coverage configuration: ../../pyproject.toml" in err
    # The default paths are the project's, wherever the command runs.
    snapshot = repo.project / "results/ci_metrics/snapshot.json"
    assert "python/src/pkg/core.py" in json.loads(snapshot.read_text(encoding="utf-8"))["files"]
    code, out, err = _run(make_context, "gate", "--base", "main")
    assert "FAIL diff coverage 42.86% < 90.00%" in out, err


def test_a_generated_file_the_checkout_lacks_says_how_to_handle_it(
    tmp_path, monkeypatch, make_context
):
    repo = build_foreign_repo(tmp_path / "repo")
    write(repo.project, ".gitignore", "src/pkg/_version.py\n")
    write(repo.project, "src/pkg/_version.py", 'version = "1.0"\n')
    write(repo.project, "run_version.py", "import pkg._version\n")
    measure(repo, "unit", "run_version.py")
    (repo.project / "src/pkg/_version.py").unlink()  # a fresh checkout, not built
    monkeypatch.chdir(repo.project)
    code, _out, err = _run(make_context, "collect")
    assert code == 2
    assert err.strip().splitlines()[-1] == (
        "error: the coverage data names src/pkg/_version.py, which is not in this checkout: "
        "git ignores it, so it is generated at build time (setuptools-scm's _version.py, "
        "say): build or install the project in this checkout before collecting, or leave "
        "the file out with `omit` in the coverage configuration"
    )


def test_the_distributions_spelling_of_the_table_is_answered_with_the_right_one(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.ci-metrics]\nlayers = { unit = ["src"] }\n', encoding="utf-8")
    with pytest.raises(SettingsError) as info:
        load_settings(pyproject)
    assert str(info.value) == (
        f"{pyproject}: [tool.ci-metrics] is not read: did you mean `[tool.ci_metrics]`?"
    )


def test_the_misspelt_table_is_found_from_a_sub_folder_and_exits_2(
    tmp_path, monkeypatch, make_context
):
    repo = build_foreign_repo(tmp_path / "repo")
    pyproject = repo.project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(text.replace("[tool.ci_metrics]", "[tool.ci-metrics]"), encoding="utf-8")
    monkeypatch.chdir(repo.project / "src")
    code, _out, err = _run(make_context, "collect")
    assert code == 2
    assert "did you mean `[tool.ci_metrics]`?" in err.splitlines()[-1]


def test_a_threshold_between_0_and_1_is_refused_as_a_fraction():
    with pytest.raises(SettingsError) as info:
        parse_settings(
            {"layers": {"unit": ["src"]}, "thresholds": {"diff": 0.9, "layers": {"unit": 0.95}}}
        )
    assert str(info.value) == (
        "invalid [tool.ci_metrics]: thresholds.diff: looks like a fraction (did you mean 90?); "
        "thresholds.layers.unit: looks like a fraction (did you mean 95?)"
    )
    assert parse_settings({"thresholds": {"diff": 0, "project_lines": 1}}).thresholds.diff == 0


def test_a_fraction_given_as_a_flag_is_refused_too(tmp_path, monkeypatch, make_context):
    repo = build_foreign_repo(tmp_path / "repo")
    monkeypatch.chdir(repo.project)
    code, _out, err = _run(make_context, "gate", "--fail-under-diff", "0.9")
    assert code == 2
    assert err.splitlines()[-1] == (
        "error: --fail-under-diff: looks like a fraction (did you mean 90?)"
    )


def _failing_git(args, cwd):
    raise RuntimeError("git runner broke\nsecond line")


def test_an_unexpected_exception_is_one_line_exit_2_and_a_hint(tmp_path, make_context):
    code, _out, err = _run(make_context, "collect", "--root", str(tmp_path), git=_failing_git)
    assert code == 2
    assert err.splitlines() == [
        "error: unexpected RuntimeError: git runner broke (a bug in ci-metrics; rerun with "
        "--debug for the traceback)"
    ]
    code, _out, err = _run(
        make_context, "collect", "--root", str(tmp_path), "--debug", git=_failing_git
    )
    assert code == 2
    assert "Traceback (most recent call last)" in err
    assert "in _failing_git" in err
    assert err.splitlines()[-1].startswith("error: unexpected RuntimeError")
