"""ci-metrics on repositories it has never seen gives coverage.py's numbers, or fails loudly.

Each repository is measured with coverage.py's defaults (absolute paths) as two layers
and ci-metrics runs the documented way: ``collect``, then ``gate``, from the project
folder. The figures are checked against coverage.py's own JSON report of the same data.
"""

from __future__ import annotations

import json
import shutil

import pytest

from ci_metrics.cli import run
from ci_metrics.model.lineranges import from_ranges
from ci_metrics.model.metrics import project_totals
from support.foreign_repo import build_foreign_repo


@pytest.fixture(autouse=True)
def _strangers_environment(monkeypatch):
    """No COVERAGE_* variables: the tox env's own would point coverage.py elsewhere."""
    for name in ("COVERAGE_FILE", "COVERAGE_RCFILE", "COVERAGE_LAYER", "COVERAGE_PROCESS_START"):
        monkeypatch.delenv(name, raising=False)


def _collect(make_context, *args, data=".coverage"):
    ctx = make_context()
    data_args = ["--coverage-file", data] if data else []
    code = run(["collect", "--output", "snapshot.json", *data_args, *args], ctx)
    return code, ctx.stderr.getvalue()


def _gate(make_context, *args):
    ctx = make_context()
    code = run(["gate", "--snapshot", "snapshot.json", "--base", "main", *args], ctx)
    return code, ctx.stdout.getvalue(), ctx.stderr.getvalue()


def _snapshot(repo):
    return json.loads((repo.project / "snapshot.json").read_text(encoding="utf-8"))["files"]


def assert_same_as_coverage_py(repo, files):
    """Every file coverage.py reports, with its statements, misses and branches; no other."""
    truth = repo.coverage_json()
    assert set(files) == {repo.prefix + name for name in truth["files"]}
    for name, reported in truth["files"].items():
        entry = files[repo.prefix + name]
        # Before 7.13 or so coverage.py also listed excluded lines that ran as executed.
        excluded = set(reported["excluded_lines"])
        executed, missing = set(reported["executed_lines"]), set(reported["missing_lines"])
        assert from_ranges(entry["statements"]) == (executed | missing) - excluded, name
        assert from_ranges(entry["missing"]) == missing, name
        exits = sum(e for e, _m in entry["branches"].values())
        assert exits == reported["summary"]["num_branches"], name
        dests = {(int(line), d) for line, (_e, m) in entry["branches"].items() for d in m}
        assert dests == {tuple(arc) for arc in reported["missing_branches"]}, name
    totals = project_totals(files)
    assert totals.statements == truth["totals"]["num_statements"]
    assert totals.covered == truth["totals"]["covered_lines"]
    assert totals.branches == truth["totals"]["num_branches"]
    assert totals.covered_branches == truth["totals"]["covered_branches"]


@pytest.mark.parametrize(
    ("config", "source"),
    [
        ("pyproject.toml", "source_pkgs"),
        ("pyproject.toml", "source"),
        ("setup.cfg", "source_pkgs"),
        ("tox.ini", "source"),
        ("coverage.cfg", "source_pkgs"),  # named by COVERAGE_RCFILE
    ],
)
def test_collect__reports_what_coverage_report_reports(
    tmp_path, monkeypatch, make_context, config, source
):
    repo = build_foreign_repo(tmp_path / "repo", config=config, source=source)
    monkeypatch.chdir(repo.project)
    if repo.rcfile is not None:
        monkeypatch.setenv("COVERAGE_RCFILE", str(repo.rcfile))
    code, err = _collect(make_context)
    assert code == 0, err
    files = _snapshot(repo)
    # The type-checking-only folder has no __init__.py: coverage.py never reports it.
    assert "src/pkg/typings/stub.py" not in files
    # `if TYPE_CHECKING:` is excluded by the project's own configuration.
    assert 5 not in from_ranges(files["src/pkg/core.py"]["statements"])
    assert_same_as_coverage_py(repo, files)


def test_collect__rcfile_flag_names_the_configuration(tmp_path, monkeypatch, make_context):
    repo = build_foreign_repo(tmp_path / "repo", config="coverage.cfg")
    monkeypatch.chdir(repo.project)
    monkeypatch.setenv("COVERAGE_RCFILE", str(repo.rcfile))
    repo.coverage_json()  # measured and reported with the file named
    monkeypatch.delenv("COVERAGE_RCFILE")
    code, err = _collect(make_context, "--rcfile", "coverage.cfg")
    assert code == 0, err
    assert 5 not in from_ranges(_snapshot(repo)["src/pkg/core.py"]["statements"])


def test_gate__absolute_paths_match_the_diff(tmp_path, monkeypatch, make_context):
    repo = build_foreign_repo(tmp_path / "repo")
    monkeypatch.chdir(repo.project)
    assert _collect(make_context)[0] == 0
    code, out, err = _gate(make_context)
    # Changed statements 12 (via continuation line 14), 19, 20, 24-27; run: 12, 19, 24.
    assert "FAIL diff coverage 42.86% < 90.00%" in out, out + err
    assert code == 1


def test_collect__project_in_a_sub_directory_of_the_work_tree(tmp_path, monkeypatch, make_context):
    repo = build_foreign_repo(tmp_path / "repo", subdir="python")
    monkeypatch.chdir(repo.project)
    code, err = _collect(make_context)
    assert code == 0, err
    files = _snapshot(repo)
    assert_same_as_coverage_py(repo, files)
    assert "python/src/pkg/core.py" in files
    code, out, err = _gate(make_context)
    assert "FAIL diff coverage 42.86% < 90.00%" in out, out + err
    assert "unit layer" not in out


def test_collect__symlinked_checkout_from_another_directory(tmp_path, monkeypatch, make_context):
    repo = build_foreign_repo(tmp_path / "real")
    link = tmp_path / "link"
    link.symlink_to(repo.worktree, target_is_directory=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, err = _collect(make_context, "--root", str(link), data=str(link / ".coverage"))
    assert code == 0, err
    files = json.loads((elsewhere / "snapshot.json").read_text(encoding="utf-8"))["files"]
    assert set(files) == {"src/pkg/__init__.py", "src/pkg/core.py"}


def test_collect__layer_is_the_static_context_of_dynamic_contexts(
    tmp_path, monkeypatch, make_context
):
    repo = build_foreign_repo(tmp_path / "repo", contexts="dynamic")
    monkeypatch.chdir(repo.project)
    assert _collect(make_context)[0] == 0
    core = _snapshot(repo)["src/pkg/core.py"]
    assert set(core["layers"]) == {"unit", "e2e"}
    # Line 19 (the first line of label) ran only under e2e; 11 only under unit.
    assert 19 in from_ranges(core["layers"]["e2e"])
    assert 19 not in from_ranges(core["layers"]["unit"])
    assert 11 in from_ranges(core["layers"]["unit"])


def test_collect__data_without_a_layer_context_goes_to_the_default_layer(
    tmp_path, monkeypatch, make_context
):
    repo = build_foreign_repo(
        tmp_path / "repo",
        contexts="test-only",
        settings='layers = { unit = ["src/pkg"], e2e = [] }\ndefault_layer = "unit"\n',
    )
    monkeypatch.chdir(repo.project)
    code, err = _collect(make_context)
    assert code == 0, err
    core = _snapshot(repo)["src/pkg/core.py"]
    assert set(core["layers"]) == {"unit"}
    assert from_ranges(core["layers"]["unit"]) == from_ranges(core["statements"]) - from_ranges(
        core["missing"]
    )


def test_collect__contexts_naming_no_layer_are_reported(tmp_path, monkeypatch, make_context):
    repo = build_foreign_repo(tmp_path / "repo", contexts="test-only")
    monkeypatch.chdir(repo.project)
    code, err = _collect(make_context)
    assert code == 0, err
    assert _snapshot(repo)["src/pkg/core.py"]["layers"] == {}
    assert "no configured layer" in err
    assert "tests/test_unit.py::test_grade|run" in err
    assert "default_layer" in err


def test_collect__data_from_another_checkout_is_remapped_by_paths(
    tmp_path, monkeypatch, make_context
):
    recorded = build_foreign_repo(tmp_path / "runner" / "checkout")
    here = tmp_path / "here"
    shutil.copytree(recorded.worktree, here, symlinks=True)
    shutil.rmtree(recorded.worktree)  # the data names files that no longer exist
    monkeypatch.chdir(here)
    code, err = _collect(make_context)
    assert code == 2
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"error: the coverage data names {recorded.worktree}/src/pkg/")
    assert "which is not in this checkout: if the data was recorded in another checkout" in last
    assert "[paths]" in last
    assert "'" not in last  # coverage.py's quotes and help link are not passed on
    with (here / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write(f'\n[tool.coverage.paths]\nsource = ["src/", "{recorded.worktree}/src/"]\n')
    code, err = _collect(make_context)
    assert code == 0, err
    files = json.loads((here / "snapshot.json").read_text(encoding="utf-8"))["files"]
    assert set(files) == {"src/pkg/__init__.py", "src/pkg/core.py"}
    code, out, err = _gate(make_context)
    assert "FAIL diff coverage 42.86% < 90.00%" in out, out + err


def test_collect__reads_the_data_file_coverage_py_would_read(tmp_path, monkeypatch, make_context):
    repo = build_foreign_repo(tmp_path / "repo")
    monkeypatch.chdir(repo.project)
    assert _collect(make_context, data=None)[0] == 0  # .coverage, coverage.py's default
    (repo.project / ".coverage").rename(repo.project / "elsewhere.db")
    monkeypatch.setenv("COVERAGE_FILE", "elsewhere.db")
    code, err = _collect(make_context, data=None)
    assert code == 0, err
    assert "elsewhere.db" in err
