"""The quarantine register: a markdown table of tests that run but may not fail a build.

Columns: test, owner, issue, reason, review date (``YYYY-MM-DD``). A test is a
pytest node id relative to the project folder, with or without backticks:
``tests/unit/test_x.py::test_y`` (every parametrization of it),
``tests/unit/test_x.py::test_y[2]`` (that one), ``tests/unit/test_x.py::TestZ``
(every test of the class). The issue is a link: a URL, ``[text](URL)`` or an
issue reference (``#123``, ``owner/repo#123``). A single row whose test is
``None yet`` stands for an empty register.

ci-metrics' pytest plugin (:mod:`ci_metrics.pytest_plugin`) reads it in every
layer and tags each quarantined test's reports with :data:`TAG`, so the
results can tell a quarantined failure from an ordinary expected failure.
``ci-metrics quarantine --check`` (:mod:`ci_metrics.verbs.quarantine`) also
finds each test in its file and checks the review dates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ci_metrics.errors import RegisterError
from ci_metrics.inputs.fileio import read_text
from ci_metrics.inputs.mdtable import read_rows

COLUMNS = ("test", "owner", "issue", "reason", "review date")
#: The user property ci-metrics' pytest plugin gives a quarantined test's reports.
TAG = "ci_metrics_quarantine"

_TEST_ID = re.compile(
    r"^(?P<file>[^\s:\[\]]+\.py)(?P<names>(?:::[A-Za-z_]\w*)+)(?P<params>\[[^\s]*\])?$"
)
_ISSUE = re.compile(r"^(https?://\S+|\[[^\]]+\]\(https?://[^)\s]+\)|([\w.-]+/[\w.-]+)?#\d+)$")


@dataclass(frozen=True)
class QuarantineEntry:
    """One row of the register: a test (node id) that runs but may not fail a build."""

    test: str
    owner: str
    issue: str
    reason: str
    review_date: date
    line: int

    @property
    def file(self) -> str:
        """The test's file, relative to the project folder."""
        return self.test.split("::", 1)[0]

    @property
    def names(self) -> tuple[str, ...]:
        """The class and function names after the file, parametrization left out."""
        return tuple(self.test.split("[", 1)[0].split("::")[1:])

    def matches(self, nodeid: str) -> bool:
        """Whether this entry quarantines the test ``nodeid``: the test itself, any of its
        parametrizations (unless the entry names one), any test of a class it names."""
        if nodeid == self.test or nodeid.startswith(self.test + "::"):
            return True
        return "[" not in self.test and nodeid.startswith(self.test + "[")

    def expired(self, today: date) -> bool:
        """The review date has passed."""
        return self.review_date < today


def read_quarantine(text: str, source: str) -> tuple[list[QuarantineEntry], list[str]]:
    """The register's entries, and one line for each malformed row (naming the file,
    the line and the entry). A malformed table raises :class:`RegisterError`."""
    entries: list[QuarantineEntry] = []
    problems: list[str] = []
    for row in read_rows(text, COLUMNS, source):
        test, owner, issue, reason, review = row.cells
        test = test.strip("`").strip()
        where = f"{source}:{row.line}: {test or 'an entry'}"
        if not all(row.cells):
            problems.append(f"{where}: every column needs a value")
            continue
        row_problems = []
        if not _TEST_ID.match(test):
            row_problems.append(
                "is not a test id (path/to/test_file.py::test_name, ::Class, ::Class::test)"
            )
        if not _ISSUE.match(issue):
            row_problems.append("issue is not a link (a URL, [text](URL), #123 or owner/repo#123)")
        try:
            review_date = date.fromisoformat(review)
        except ValueError:
            row_problems.append(f"review date {review!r} is not YYYY-MM-DD")
        problems += [f"{where}: {problem}" for problem in row_problems]
        if not row_problems:
            entries.append(QuarantineEntry(test, owner, issue, reason, review_date, row.line))
    return entries, problems


def load_quarantine(path: Path, source: str | None = None) -> list[QuarantineEntry]:
    """The register's entries; a missing file quarantines nothing, a malformed one
    raises :class:`RegisterError` whose one line names every problem (the file as
    ``source`` names it, by default its path)."""
    text = read_text(path, error=RegisterError)
    if text is None:
        return []
    entries, problems = read_quarantine(text, source or str(path))
    if problems:
        raise RegisterError("; ".join(problems))
    return entries


def entry_for(entries: list[QuarantineEntry], nodeid: str) -> QuarantineEntry | None:
    """The first entry that quarantines ``nodeid``, if any."""
    return next((entry for entry in entries if entry.matches(nodeid)), None)
