"""Reading combined coverage data through coverage.py's public JSON report."""

from __future__ import annotations

import io

import coverage
import pytest

from ci_metrics.errors import InputError
from ci_metrics.inputs.coverage_data import LayerRules, read_coverage
from ci_metrics.model.lineranges import from_ranges
from ci_metrics.model.metrics import file_totals, project_totals

RULES = LayerRules(frozenset({"api", "auth"}))


def _read(project, rules=RULES, data=None):
    return read_coverage(
        data or project / "results/coverage/.coverage",
        project=project,
        worktree=project,
        rules=rules,
    )


def test_read_coverage__matches_coverage_report_totals(project, monkeypatch):
    monkeypatch.chdir(project)
    files = _read(project).files
    cov = coverage.Coverage(data_file=str(project / "results/coverage/.coverage"))
    cov.load()
    expected = cov.report(file=io.StringIO(), precision=2)
    totals = project_totals({f.path: f.to_json() for f in files})
    # coverage.py's total counts statements and branches together.
    combined = (
        100 * (totals.covered + totals.covered_branches) / (totals.statements + totals.branches)
    )
    assert round(combined, 2) == pytest.approx(expected, abs=0.01)


def test_read_coverage__records_layers_multiline_statements_and_branches(project):
    reading = _read(project)
    assert reading.branch_data
    files = {f.path: f for f in reading.files}
    views = files["apps/api/views.py"]
    assert views.multiline == [[4, 7]]
    assert from_ranges(views.layers["api"]) == {1, 2, 3, 10, 14, 15, 16}
    assert from_ranges(views.layers["auth"]) == {1, 2, 4, 10, 11, 14}
    assert from_ranges(views.missing) == {17}
    assert views.branches["15"] == [2, [17]]
    tokens = files["apps/auth_service/tokens.py"]
    assert set(tokens.layers) == {"auth"}
    assert tokens.multiline == []
    # Never imported, yet under `source`: coverage.py reports it at 0%, and so do we.
    unused = files["apps/api/unused.py"]
    assert from_ranges(unused.missing) == from_ranges(unused.statements) == {1, 4, 5}
    assert unused.layers == {}
    assert "apps/api/__main__.py" not in files
    assert file_totals(tokens.to_json()).lines_percent == 100.0


def test_layer_rules__static_part_names_the_layer_else_the_default():
    assert RULES.layer_of("api|tests/x.py::test_y|run") == "api"
    assert RULES.layer_of("api") == "api"
    assert RULES.layer_of("tests/x.py::test_y|run") is None
    assert RULES.layer_of("") is None
    assert LayerRules(frozenset({"api"}), "api").layer_of("local") == "api"


def test_read_coverage__contexts_of_no_layer_are_counted_not_attributed(project):
    reading = _read(project, LayerRules(frozenset({"api"})))
    files = {f.path: f for f in reading.files}
    assert set(files["apps/auth_service/tokens.py"].layers) == set()
    assert set(reading.unattributed) == {"auth"}


def test_read_coverage__missing_data_file_is_input_error(tmp_path):
    with pytest.raises(InputError, match="coverage data not found"):
        _read(tmp_path, data=tmp_path / ".coverage")


def test_read_coverage__corrupt_data_file_is_input_error(tmp_path):
    (tmp_path / ".coverage").write_bytes(b"this is not sqlite" * 10)
    with pytest.raises(InputError, match="cannot report coverage data"):
        _read(tmp_path, data=tmp_path / ".coverage")


def test_read_coverage__empty_data_is_input_error(tmp_path):
    data = coverage.CoverageData(basename=str(tmp_path / ".coverage"))
    data.add_lines({})
    data.write()
    with pytest.raises(InputError, match="holds no measured files"):
        _read(tmp_path, data=tmp_path / ".coverage")


def test_read_coverage__missing_source_names_the_file_and_paths(project):
    (project / "apps/auth_service/tokens.py").unlink()
    with pytest.raises(InputError, match=r"apps/auth_service/tokens\.py.*\[paths\]"):
        _read(project)


def test_read_coverage__unparsable_source_is_input_error(project):
    (project / "apps/auth_service/tokens.py").write_text("def broken(:\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"cannot analyse .*tokens\.py"):
        _read(project)


def test_read_coverage__processes_sharing_the_work_read_the_same(project, monkeypatch):
    import ci_metrics.inputs.coverage_data as reader

    alone = _read(project)
    monkeypatch.setattr(reader, "PARALLEL_MIN_FILES", 2)
    shared = read_coverage(
        project / "results/coverage/.coverage",
        project=project,
        worktree=project,
        rules=RULES,
        jobs=2,
    )
    assert [f.to_json() for f in shared.files] == [f.to_json() for f in alone.files]
    assert [f.path for f in shared.files] == [f.path for f in alone.files]
    assert shared.unattributed == alone.unattributed


def test_read_coverage__everything_omitted_is_input_error(project):
    (project / ".coveragerc").write_text(
        (project / ".coveragerc").read_text() + "\n[report]\nomit = apps/*\n", encoding="utf-8"
    )
    with pytest.raises(InputError, match="No data to report"):
        _read(project)


def test_read_coverage__uncombined_data_says_to_combine(tmp_path):
    (tmp_path / ".coverage.unit.1234").write_bytes(b"")
    with pytest.raises(InputError, match=r"combine \.coverage\.unit\.1234 .*--combine"):
        _read(tmp_path, data=tmp_path / ".coverage")


def test_read_coverage__line_data_has_no_branches(tmp_path):
    (tmp_path / "mod.py").write_text("a = 1\nb = 2\n", encoding="utf-8")
    data = coverage.CoverageData(basename=str(tmp_path / ".coverage"))
    data.add_lines({str(tmp_path / "mod.py"): [1]})
    data.write()
    reading = _read(tmp_path, data=tmp_path / ".coverage")
    assert not reading.branch_data
    assert [(f.path, f.branches, from_ranges(f.missing)) for f in reading.files] == [
        ("mod.py", {}, {2})
    ]


def test_read_coverage__files_outside_the_work_tree_keep_their_absolute_path(tmp_path):
    tree, outside = tmp_path / "tree", tmp_path / "elsewhere"
    tree.mkdir()
    outside.mkdir()
    (outside / "lib.py").write_text("x = 1\n", encoding="utf-8")
    data = coverage.CoverageData(basename=str(tree / ".coverage"))
    data.add_lines({str(outside / "lib.py"): [1]})
    data.write()
    reading = _read(tree, data=tree / ".coverage")
    assert reading.outside_worktree == [str((outside / "lib.py").resolve())]
    assert [f.path for f in reading.files] == reading.outside_worktree


@pytest.mark.parametrize("jobs", [1, 2])
def test_read_coverage__two_names_for_one_file_is_input_error(tmp_path, monkeypatch, jobs):
    import ci_metrics.inputs.coverage_data as reader

    monkeypatch.setattr(reader, "PARALLEL_MIN_FILES", 2)
    (tmp_path / "real.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "link.py").symlink_to(tmp_path / "real.py")
    data = coverage.CoverageData(basename=str(tmp_path / ".coverage"))
    data.add_lines({str(tmp_path / "real.py"): [1], str(tmp_path / "link.py"): [1]})
    data.write()
    with pytest.raises(InputError, match=r"as one file real\.py"):
        read_coverage(
            tmp_path / ".coverage", project=tmp_path, worktree=tmp_path, rules=RULES, jobs=jobs
        )


def test_default_data_file__invalid_configuration_is_input_error(tmp_path, monkeypatch):
    from ci_metrics.inputs.coverage_data import default_data_file

    monkeypatch.delenv("COVERAGE_FILE", raising=False)
    monkeypatch.delenv("COVERAGE_RCFILE", raising=False)
    assert default_data_file(tmp_path, None) == tmp_path / ".coverage"
    (tmp_path / ".coveragerc").write_text("[run]\nbranch = maybe\n", encoding="utf-8")
    with pytest.raises(InputError, match="invalid coverage configuration"):
        default_data_file(tmp_path, None)


def test_combine_data__merges_keeps_inputs_and_names_what_is_missing(project, tmp_path):
    from ci_metrics.inputs.coverage_data import combine_data

    target = tmp_path / "combined" / ".coverage"
    target.parent.mkdir()
    inputs = [project / ".coverage.api", project / ".coverage.auth"]
    combine_data(target, inputs, project, None)
    assert all(path.is_file() for path in inputs)  # kept
    files = {f.path for f in _read(project, data=target).files}
    assert "apps/auth_service/tokens.py" in files
    with pytest.raises(InputError, match="coverage data to combine not found"):
        combine_data(target, [tmp_path / "nope"], project, None)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no coverage data files in"):
        combine_data(target, [tmp_path / "empty"], project, None)
