"""The import graph the plan reads (``inputs/imports.py``) and its path patterns."""

from __future__ import annotations

import pytest

from ci_metrics.inputs.imports import build_graph, module_name
from ci_metrics.model.patterns import matches

SOURCES = {
    "pkg/__init__.py": b"from .core import run\n",
    "pkg/core.py": b"from ..outside import nothing\nfrom .sub import leaf\n",
    "pkg/sub/__init__.py": b"",
    "pkg/sub/leaf.py": b"from .. import helpers\nfrom . import sibling\n",
    "pkg/sub/sibling.py": b"",
    "pkg/helpers.py": b"def helper():\n    import json\n    return json\n",
    "pkg/lazy.py": b"def later():\n    from pkg.sub import sibling\n    return sibling\n",
    "pkg/typing_only.py": b"from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
    b"    import pkg.helpers\n",
    "dist/src/tool/__init__.py": b"",
    "dist/src/tool/main.py": b"import tool.util\n",
    "dist/src/tool/util.py": b"",
    "dist/tests/test_main.py": b"from tool import main\nfrom support import data\n",
    "dist/tests/support/__init__.py": b"",
    "dist/tests/support/data.py": b"",
    "tests/test_pkg.py": b"import pkg.core\n",
    "broken.py": b"def (:\n",
    "1st/odd.py": b"import pkg\n",
}


def test_module_name__the_path_from_the_nearest_folder_that_is_not_a_package():
    known = frozenset(SOURCES)
    assert module_name("pkg/sub/leaf.py", known) == "pkg.sub.leaf"
    assert module_name("pkg/sub/__init__.py", known) == "pkg.sub"
    assert module_name("dist/src/tool/main.py", known) == "tool.main"
    assert module_name("dist/tests/support/data.py", known) == "support.data"
    assert module_name("dist/tests/test_main.py", known) == "test_main"
    assert module_name("1st/odd.py", known) == "odd"
    assert module_name("1st/__init__.py", known | {"1st/__init__.py"}) is None


def test_build_graph__relative_lazy_type_checking_and_src_layout_imports():
    graph = build_graph(SOURCES)
    assert graph.unreadable == ["broken.py"]
    # from .. import helpers, inside pkg/sub/leaf.py
    assert graph.importers("pkg/helpers.py") >= {"pkg/sub/leaf.py", "pkg/typing_only.py"}
    # through pkg.core (.sub.leaf) and the package's own __init__ (.core)
    assert {"tests/test_pkg.py", "pkg/__init__.py", "pkg/core.py"} <= graph.importers(
        "pkg/helpers.py"
    )
    assert "pkg/lazy.py" in graph.importers("pkg/sub/sibling.py")
    assert graph.importers("dist/src/tool/util.py") == {
        "dist/src/tool/main.py",
        "dist/tests/test_main.py",
    }
    assert graph.importers("dist/tests/support/data.py") == {"dist/tests/test_main.py"}


def test_build_graph__a_package_init_is_imported_with_every_module_below_it():
    graph = build_graph(SOURCES)
    assert "tests/test_pkg.py" in graph.importers("pkg/__init__.py")
    assert "dist/tests/test_main.py" in graph.importers("dist/src/tool/__init__.py")


def test_build_graph__a_deleted_module_keeps_the_name_it_is_imported_by():
    sources = {"tests/test_a.py": b"from app import gone\n", "app/__init__.py": b""}
    graph = build_graph(sources, absent=["app/gone.py"])
    assert graph.importers("app/gone.py") == {"tests/test_a.py"}


def test_build_graph__a_relative_import_above_the_top_is_ignored():
    graph = build_graph({"top.py": b"from . import x\n", "x.py": b""})
    assert graph.importers("x.py") == set()


@pytest.mark.parametrize(
    ("path", "pattern", "expected"),
    [
        ("uv.lock", "uv.lock", True),
        ("scripts/ci_metrics/pyproject.toml", "pyproject.toml", True),
        ("tests/unit/api/conftest.py", "conftest.py", True),
        ("tests/utils/clock.py", "tests/utils/**", True),
        ("apps/tests/utils/clock.py", "tests/utils/**", False),
        (".github/workflows/ci.yml", ".github/**", True),
        ("apps/api/README.md", "*.md", True),
        ("apps/api/README.mdx", "*.md", False),
        ("docs/sub/page.md", "docs/*.md", False),
        ("docs/sub/page.md", "docs/**/*.md", True),
        ("docs/page.md", "docs/**/*.md", True),
        ("benchmarks/plan_time.py", "benchmarks", True),
        ("f1.py", "f[0-9].py", True),
        ("f.py", "f?.py", False),
    ],
)
def test_patterns__match_as_gitignore_does(path, pattern, expected):
    assert matches(path, pattern) is expected
