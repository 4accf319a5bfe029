"""Path patterns of ``[tool.ci_metrics.plan]``, matched as ``.gitignore`` matches them.

A pattern without ``/`` (``conftest.py``, ``*.md``) matches a file's name at any
depth; one with ``/`` (``tests/utils/**``, ``docs/*.md``) matches the path from the
top of the work tree. ``*`` and ``?`` stay within one folder name, ``**`` spans any
number of folders, and ``[...]`` is a character class.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable


@functools.cache
def _compile(pattern: str) -> re.Pattern[str]:
    anchored = "/" in pattern.rstrip("/")
    text = pattern.strip("/")
    out = []
    index = 0
    while index < len(text):
        char = text[index]
        if text.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
            continue
        if text.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and (end := text.find("]", index + 1)) > index + 1:
            body = text[index + 1 : end]
            negate = body.startswith("!")
            body = re.escape(body[1:] if negate else body).replace("\\-", "-")
            out.append(f"[{'^' if negate else ''}{body}]")
            index = end + 1
            continue
        else:
            out.append(re.escape(char))
        index += 1
    body = "".join(out)
    # A pattern that names a folder holds everything below it.
    return re.compile(("" if anchored else "(?:.*/)?") + body + "(?:/.*)?")


def matches(path: str, pattern: str) -> bool:
    """Whether the work-tree path ``path`` matches ``pattern``."""
    return _compile(pattern).fullmatch(path) is not None


def first_match(path: str, patterns: Iterable[str]) -> str | None:
    """The first of ``patterns`` that ``path`` matches, if any."""
    return next((p for p in patterns if matches(path, p)), None)
