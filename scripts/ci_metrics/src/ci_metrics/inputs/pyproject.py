"""Reading ``[tool.ci_metrics]`` from a ``pyproject.toml``, with the standard library only.

The raw table, before :mod:`ci_metrics.settings` reads it into its declared types. A
table under a near spelling (``[tool.ci-metrics]``, the distribution's name) is an
error that names the right one: read as absent, it would leave every setting at its
default without a word. :func:`find_project` finds the folder whose
``pyproject.toml`` holds the table, from a sub-folder up to the top of the work tree.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ci_metrics.errors import SettingsError

TABLE = "ci_metrics"
PYPROJECT = "pyproject.toml"


def _read(pyproject: Path) -> dict[str, Any] | None:
    """The whole document; ``None`` when the file is missing."""
    try:
        return tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{pyproject}: invalid TOML: {exc}") from None


def misspelt_table(tool: Mapping[str, Any]) -> str | None:
    """A ``[tool.*]`` name that is ``ci_metrics`` misspelt (``ci-metrics``), if any."""
    for name in tool:
        if name == TABLE:
            continue
        if name.replace("-", "_").lower() == TABLE or difflib.get_close_matches(
            name, [TABLE], cutoff=0.85
        ):
            return name
    return None


def read_table(pyproject: Path) -> Mapping[str, Any]:
    """The ``[tool.ci_metrics]`` table; ``{}`` when the file or the table is missing."""
    data = _read(pyproject) or {}
    tool = data.get("tool")
    if not isinstance(tool, dict):
        return {}
    wrong = misspelt_table(tool)
    if wrong is not None:
        raise SettingsError(
            f"{pyproject}: [tool.{wrong}] is not read: did you mean `[tool.{TABLE}]`?"
        )
    table = tool.get(TABLE, {})
    if not isinstance(table, dict):
        raise SettingsError(f"{pyproject}: [tool.ci_metrics] must be a table")
    return table


def declares_settings(pyproject: Path) -> bool:
    """Whether ``pyproject`` holds ``[tool.ci_metrics]``, or something meant as it (a
    misspelt table, invalid TOML): reading it then says what is wrong."""
    try:
        data = _read(pyproject)
    except SettingsError:
        return True
    tool = data.get("tool") if data else None
    return isinstance(tool, dict) and (TABLE in tool or misspelt_table(tool) is not None)


def nearest_pyproject(start: Path, top: Path) -> Path | None:
    """The folder of the nearest ``pyproject.toml`` from ``start`` up to ``top``, if any."""
    start, top = start.resolve(), top.resolve()
    if start != top and top not in start.parents:
        return None
    for folder in (start, *start.parents):
        if (folder / PYPROJECT).is_file():
            return folder
        if folder == top:
            break
    return None


def find_project(start: Path, top: Path) -> Path | None:
    """The nearest folder from ``start`` up to ``top`` (both included) whose
    ``pyproject.toml`` declares the settings, as tox finds its configuration; ``None``
    when there is none, or ``start`` is not below ``top``."""
    start, top = start.resolve(), top.resolve()
    if start != top and top not in start.parents:
        return None
    for folder in (start, *start.parents):
        if declares_settings(folder / PYPROJECT):
            return folder
        if folder == top:
            break
    return None
