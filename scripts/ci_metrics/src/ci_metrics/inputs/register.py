"""The coverage exception register: a markdown table of modules exempt from the gates.

Columns: module, rationale, owner, review date (``YYYY-MM-DD``), remediation plan.
A module is a repository path (``apps/api/legacy.py``, ``apps/api/legacy/``) or a
dotted name (``apps.api.legacy``); a package covers every file below it. A single
row whose module is ``None yet`` stands for an empty register.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ci_metrics.errors import RegisterError
from ci_metrics.inputs.fileio import read_text
from ci_metrics.inputs.mdtable import read_rows

COLUMNS = ("module", "rationale", "owner", "review date", "remediation plan")


@dataclass(frozen=True)
class ExceptionEntry:
    """One row of the register."""

    module: str
    rationale: str
    owner: str
    review_date: date
    plan: str
    line: int
    prefix: str

    def covers(self, path: str) -> bool:
        """Whether a repository path falls under this exception."""
        return path == self.prefix or path.startswith(self.prefix.rstrip("/") + "/")

    def expired(self, today: date) -> bool:
        """The review date has passed."""
        return self.review_date < today


def _resolve(module: str, root: Path) -> str | None:
    cleaned = module.strip("`").strip()
    candidates = [cleaned.rstrip("/")]
    if "/" not in cleaned and not cleaned.endswith(".py"):
        dotted = cleaned.replace(".", "/")
        candidates = [f"{dotted}.py", dotted]
    for candidate in candidates:
        if (root / candidate).is_file() or (root / candidate).is_dir():
            return candidate
    return None


def parse_register(text: str, root: Path, source: str = "register") -> list[ExceptionEntry]:
    """Parse the register; a malformed table or an unknown module raises with its line."""
    entries: list[ExceptionEntry] = []
    for row in read_rows(text, COLUMNS, source):
        number, cells = row.line, row.cells
        module, rationale, owner, review, plan = cells
        if not all(cells):
            raise RegisterError(f"{source}:{number}: every column needs a value")
        try:
            review_date = date.fromisoformat(review)
        except ValueError:
            raise RegisterError(
                f"{source}:{number}: review date {review!r} is not YYYY-MM-DD"
            ) from None
        prefix = _resolve(module, root)
        if prefix is None:
            raise RegisterError(f"{source}:{number}: module {module!r} does not exist")
        entries.append(
            ExceptionEntry(module.strip("`"), rationale, owner, review_date, plan, number, prefix)
        )
    return entries


def load_register(path: Path, root: Path) -> list[ExceptionEntry]:
    """Read the register file; a missing file means no exceptions."""
    text = read_text(path, error=RegisterError)
    if text is None:
        return []
    return parse_register(text, root, source=str(path))


def is_excepted(entries: list[ExceptionEntry], path: str) -> bool:
    """Whether any exception covers ``path``."""
    return any(entry.covers(path) for entry in entries)
