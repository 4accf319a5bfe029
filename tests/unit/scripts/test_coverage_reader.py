"""Reading combined coverage data through coverage.py's API."""

from __future__ import annotations

import io

import coverage
import pytest

from scripts.ci_metrics.coverage_reader import layer_of_context, read_coverage
from scripts.ci_metrics.errors import InputError
from scripts.ci_metrics.lineranges import from_ranges
from scripts.ci_metrics.metrics import file_totals, project_totals


def test_read_coverage__matches_coverage_report_totals(project, monkeypatch):
    monkeypatch.chdir(project)
    files = read_coverage(project / "results/coverage/.coverage", project, project / ".coveragerc")
    cov = coverage.Coverage(
        data_file=str(project / "results/coverage/.coverage"),
        config_file=str(project / ".coveragerc"),
    )
    cov.load()
    expected = cov.report(file=io.StringIO(), precision=2)
    totals = project_totals({f.path: f.to_json() for f in files})
    # coverage.py's total counts statements and branches together.
    combined = (
        100 * (totals.covered + totals.covered_branches) / (totals.statements + totals.branches)
    )
    assert round(combined, 2) == pytest.approx(expected, abs=0.01)


def test_read_coverage__records_layers_multiline_statements_and_branches(project):
    files = {f.path: f for f in read_coverage(project / "results/coverage/.coverage", project)}
    views = files["apps/api/views.py"]
    assert views.multiline == [[4, 7]]
    assert from_ranges(views.layers["api"]) == {1, 2, 3, 10, 14, 15, 16}
    assert from_ranges(views.layers["auth"]) == {1, 2, 4, 10, 11, 14}
    assert from_ranges(views.missing) == {17}
    assert views.branches["15"] == [2, [17]]
    tokens = files["apps/auth_service/tokens.py"]
    assert set(tokens.layers) == {"auth"}
    assert tokens.multiline == []
    unused = files["apps/api/unused.py"]
    assert from_ranges(unused.missing) == from_ranges(unused.statements) == {1, 4, 5}
    assert unused.layers == {}
    assert "apps/api/__main__.py" not in files
    assert file_totals(tokens.to_json()).lines_percent == 100.0


def test_layer_of_context__strips_dynamic_part_and_labels_empty():
    assert layer_of_context("api|tests/x.py::test_y|run") == "api"
    assert layer_of_context("") == "local"


def test_read_coverage__missing_data_file_is_input_error(tmp_path):
    with pytest.raises(InputError, match="coverage data not found"):
        read_coverage(tmp_path / ".coverage", tmp_path)


def test_read_coverage__corrupt_data_file_is_input_error(tmp_path):
    (tmp_path / ".coverage").write_bytes(b"this is not sqlite" * 10)
    with pytest.raises(InputError, match="cannot read coverage data"):
        read_coverage(tmp_path / ".coverage", tmp_path)


def test_read_coverage__empty_data_is_input_error(tmp_path):
    data = coverage.CoverageData(basename=str(tmp_path / ".coverage"))
    data.add_lines({})
    data.write()
    with pytest.raises(InputError, match="holds no measured files"):
        read_coverage(tmp_path / ".coverage", tmp_path)


def test_read_coverage__missing_source_is_input_error(project):
    (project / "apps/auth_service/tokens.py").unlink()
    with pytest.raises(InputError, match=r"source of measured file apps/auth_service/tokens\.py"):
        read_coverage(project / "results/coverage/.coverage", project)


def test_read_coverage__unparsable_source_is_input_error(project):
    (project / "apps/auth_service/tokens.py").write_text("def broken(:\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"cannot analyse apps/auth_service/tokens\.py"):
        read_coverage(project / "results/coverage/.coverage", project)


def test_read_coverage__absolute_paths_become_relative_and_non_python_is_skipped(tmp_path):
    src = tmp_path / "pkg" / "mod.py"
    src.parent.mkdir()
    src.write_text("a = 1\nb = 2\n", encoding="utf-8")
    data = coverage.CoverageData(basename=str(tmp_path / ".coverage"))
    data.set_context("tooling")
    data.add_lines({str(src): [1, 7], "/elsewhere/template.html": [1]})
    data.write()
    files = read_coverage(tmp_path / ".coverage", tmp_path)
    assert [f.path for f in files] == ["pkg/mod.py"]
    assert files[0].branches == {}
    assert from_ranges(files[0].missing) == {2}
    assert files[0].layers == {"tooling": [[1, 1]]}


def test_default_rcfile__found_only_when_present(project, tmp_path):
    from scripts.ci_metrics.coverage_reader import default_rcfile

    assert default_rcfile(project) == project / ".coveragerc"
    assert default_rcfile(tmp_path / "empty") is None


def test_read_coverage__adds_never_imported_source_files_except_omitted(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "mod.py").write_text("a = 1\n", encoding="utf-8")
    (pkg / "never.py").write_text("b = 1\nc = 2\n", encoding="utf-8")
    (pkg / "__main__.py").write_text("d = 1\n", encoding="utf-8")
    rc = tmp_path / ".coveragerc"
    rc.write_text("[run]\nsource = pkg\n    missing_dir\nomit = */__main__.py\n", encoding="utf-8")
    data = coverage.CoverageData(basename=str(tmp_path / ".coverage"))
    data.add_lines({"pkg/mod.py": [1]})
    data.write()
    files = {f.path: f for f in read_coverage(tmp_path / ".coverage", tmp_path, rc)}
    assert sorted(files) == ["pkg/mod.py", "pkg/never.py"]
    assert from_ranges(files["pkg/never.py"].missing) == {1, 2}
