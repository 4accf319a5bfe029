"""Reading ``[tool.ci_metrics]`` from a ``pyproject.toml``, with the standard library only.

The raw table, before :mod:`ci_metrics.settings` reads it into its declared types.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ci_metrics.errors import SettingsError


def read_table(pyproject: Path) -> Mapping[str, Any]:
    """The ``[tool.ci_metrics]`` table; ``{}`` when the file or the table is missing."""
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{pyproject}: invalid TOML: {exc}") from None
    tool = data.get("tool")
    table = tool.get("ci_metrics", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise SettingsError(f"{pyproject}: [tool.ci_metrics] must be a table")
    return table
