"""The coverage exception register."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ci_metrics.errors import RegisterError
from ci_metrics.inputs.register import is_excepted, load_register, parse_register

HEADER = "| Module | Rationale | Owner | Review date | Remediation plan |\n|---|---|---|---|---|\n"


@pytest.fixture
def root(tmp_path):
    (tmp_path / "apps/api/legacy").mkdir(parents=True)
    (tmp_path / "apps/api/old.py").write_text("x = 1\n", encoding="utf-8")
    return tmp_path


def test_parse_register__paths_dotted_names_and_packages(root):
    text = (
        "# Register\n\nintro\n\n"
        + HEADER
        + (
            "| `apps/api/old.py` | generated | @api | 2026-06-01 | delete |\n"
            "| apps.api.legacy | vendored | @api | 2026-01-01 | port |\n"
            "| apps.api.old | dup | @api | 2027-01-01 | x |\n"
            "\nafter the table\n"
        )
    )
    entries = parse_register(text, root)
    assert [(e.prefix, e.line) for e in entries] == [
        ("apps/api/old.py", 7),
        ("apps/api/legacy", 8),
        ("apps/api/old.py", 9),
    ]
    assert entries[0].module == "apps/api/old.py"
    assert is_excepted(entries, "apps/api/legacy/a.py")
    assert is_excepted(entries, "apps/api/old.py")
    assert not is_excepted(entries, "apps/api/older.py")
    assert [e.expired(date(2026, 3, 1)) for e in entries] == [False, True, False]


def test_parse_register__none_yet_row_means_empty(root):
    assert parse_register(HEADER + "| None yet | — | — | — | — |\n", root) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("no table here\n", "no table found"),
        ("| Module | Why |\n|---|---|\n", r"reg.md:1: header must be"),
        (
            "| Module | Rationale | Owner | Review date | Remediation plan |\n| a | b |\n",
            r"reg.md:2: missing the \|---\| separator",
        ),
        ("| Module | Rationale | Owner | Review date | Remediation plan |\n", "reg.md:2: missing"),
        (HEADER + "| apps/api/old.py | x | y |\n", r"reg.md:3: expected 5 cells, got 3"),
        (HEADER + "| apps/api/old.py | x |  | 2026-01-01 | z |\n", "reg.md:3: every column"),
        (
            HEADER + "| apps/api/old.py | x | y | next spring | z |\n",
            r"reg.md:3: review date 'next spring' is not YYYY-MM-DD",
        ),
        (
            HEADER + "| apps/api/none.py | x | y | 2026-01-01 | z |\n",
            r"reg.md:3: module 'apps/api/none.py' does not exist",
        ),
    ],
)
def test_parse_register__errors_name_the_line(root, text, message):
    with pytest.raises(RegisterError, match=message):
        parse_register(text, root, source="reg.md")


def test_load_register__missing_file_is_empty_and_directory_is_error(root):
    assert load_register(root / "missing.md", root) == []
    with pytest.raises(RegisterError, match="cannot read"):
        load_register(root / "apps", root)


def test_repository_register__is_valid():
    repo = Path(__file__).resolve().parents[3]
    path = repo / "docs/coverage-exceptions.md"
    entries = load_register(path, repo)
    assert all(e.review_date >= date(2026, 1, 1) for e in entries)
