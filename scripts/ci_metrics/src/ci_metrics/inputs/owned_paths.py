"""Owned paths that name nothing: a typo in ``owns`` must not narrow diff coverage.

A layer's owned path that matches no file or folder of the work tree (``src/plugy``
for ``src/plugin``, or an exclusion ``!src/pkg/vendord``) would silently leave the
files it meant out of the diff gate. :func:`owned_path_problems` names each one as
written in the TOML, with the closest path of the same depth that does exist, and
without quoting the value (as every settings problem).
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

from ci_metrics.settings import EXCLUDE, Layer, Settings

#: Folders never proposed as "did you mean": tools' caches and environments.
_SKIPPED = frozenset({"__pycache__", "node_modules", "site-packages"})


def owned_path_problems(settings: Settings, base: Path) -> list[str]:
    """One problem per owned path (``!`` exclusions too) missing under ``base``, the
    folder the paths are relative to; ``[]`` when every one exists."""
    problems = []
    for name, entry in settings.layers.items():
        written = entry.owns if isinstance(entry, Layer) else entry
        where = f"layers.{name}" + (".owns" if isinstance(entry, Layer) else "")
        for index, path in enumerate(written):
            relative = path.removeprefix(EXCLUDE).strip("/")
            if (base / relative).exists():
                continue
            close = _closest(relative, base)
            hint = f" (did you mean {close}?)" if close else f": owned paths are relative to {base}"
            problems.append(f"{where}[{index}]: matches no file of the work tree{hint}")
    return problems


def _closest(relative: str, base: Path) -> str | None:
    """The existing path of ``relative``'s depth under ``base`` closest to it, if any."""
    depth = len(Path(relative).parts)
    candidates = []
    for folder, dirs, files in os.walk(base):
        rel = Path(folder).relative_to(base)
        level = len(rel.parts)
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in _SKIPPED]
        if level + 1 == depth:
            candidates += [(rel / name).as_posix() for name in [*dirs, *files]]
            dirs[:] = []
    found = difflib.get_close_matches(relative, candidates, n=1, cutoff=0.75)
    return found[0] if found else None
