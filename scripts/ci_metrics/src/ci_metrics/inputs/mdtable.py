"""The one markdown table of a register file: its header, separator and rows, with line numbers.

The coverage exception register and the quarantine register are each a
markdown table with a fixed header; both are read here, and each names its own
problems with the file and line (``docs/quarantine.md:12: ...``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ci_metrics.errors import RegisterError

_SEPARATOR = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_EMPTY_MARKERS = {"none yet", "none"}


@dataclass(frozen=True)
class Row:
    """One row of the table: its line number (1-based) and its cells, stripped."""

    line: int
    cells: tuple[str, ...]


def cells_of(line: str) -> list[str]:
    """The cells of a table line, stripped."""
    text = line.strip().removeprefix("|").removesuffix("|")
    return [cell.strip() for cell in text.split("|")]


def read_rows(text: str, columns: tuple[str, ...], source: str) -> list[Row]:
    """The rows of the first table in ``text``, whose header must be ``columns``
    (compared lower-cased); a single row whose first cell is ``None yet`` stands for
    an empty table. A missing table, another header, a missing separator or a row
    with another number of cells raises :class:`RegisterError` naming the line."""
    lines = text.splitlines()
    header_at = next((i for i, line in enumerate(lines) if line.lstrip().startswith("|")), None)
    if header_at is None:
        raise RegisterError(f"{source}: no table found (expected columns {', '.join(columns)})")
    header = tuple(cell.lower() for cell in cells_of(lines[header_at]))
    if header != columns:
        raise RegisterError(
            f"{source}:{header_at + 1}: header must be | {' | '.join(columns)} |, got {header}"
        )
    if header_at + 1 >= len(lines) or not _SEPARATOR.match(lines[header_at + 1].strip()):
        raise RegisterError(f"{source}:{header_at + 2}: missing the |---| separator row")
    rows: list[Row] = []
    for index in range(header_at + 2, len(lines)):
        line = lines[index]
        if not line.strip().startswith("|"):
            break
        cells = cells_of(line)
        if len(cells) != len(columns):
            raise RegisterError(
                f"{source}:{index + 1}: expected {len(columns)} cells, got {len(cells)}"
            )
        if cells[0].strip("`*_ ").lower() in _EMPTY_MARKERS:
            continue
        rows.append(Row(index + 1, tuple(cells)))
    return rows
