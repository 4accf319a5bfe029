"""A failed test's cause, read from what pytest already writes.

* A report log entry's ``longrepr``: ``reprcrash`` (the exception as pytest
  prints it, ``ValueError: bad value``) and ``reprtraceback`` (every entry's
  file and line), in any ``--tb`` style that keeps entries.
* JUnit XML's ``<failure message=...>`` (or ``<error>``, for a fixture) when
  a layer wrote no report log: the message, and the ``path:line:`` lines of
  its text.

The failing line is the deepest traceback entry inside the work tree
(:class:`WorkTree`): a file of the repository, not of an installed package, so
a failure raised inside a library points at the test or code that called it.
Messages are redacted (:mod:`ci_metrics.inputs.redaction`) and cut to their
first line before anything keeps them (their whole text, redacted and cut to
1,000 characters, for the step summary). What the file does not record is left
empty and named in ``missing``; nothing is made up.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ci_metrics.inputs.redaction import redact_text
from ci_metrics.model.failures import DETAIL_CHARS, PHASES, Failure, cut, first_line

#: A path of the work tree or ``None``: outside it, in an installed package, or absent.
Locate = Callable[[str], str | None]

# ``ValueError: bad value``, ``requests.ConnectionError``: a type, then its message.
_TYPED = re.compile(r"^(?P<kind>[A-Za-z_][\w.]*)(?::[ \t]|$)")
# pytest prints a rewritten assert's AssertionError without its type.
_REWRITTEN_ASSERT = "assert "
# ``tests/x.py:12: ValueError`` (long style) or ``tests/x.py:12: in helper`` (short).
_TEXT_LOCATION = re.compile(r"^(?P<path>[^\s:][^:]*):(?P<line>\d+): ?(?P<rest>.*)$")
# JUnit's message of a fixture's failure: failed on setup with "RuntimeError: ...".
_PHASE_MESSAGE = re.compile(r'^failed on (?P<phase>setup|teardown) with "(?P<inner>.*)"$', re.S)
# The colour codes FORCE_COLOR (set in CI) makes pytest write into JUnit's failure
# text too, their escape character written ``#x1B`` (XML 1.0 cannot hold it).
_ANSI = re.compile(r"(?:\x1b|#x1B)\[[0-9;]*[A-Za-z]")
#: Folders whose files are never the repository's own code.
_NOT_OURS = frozenset({"site-packages", "dist-packages", ".tox", ".venv", "venv", ".nox"})


@dataclass
class WorkTree:
    """Paths as a test run wrote them, mapped to the work tree's own files.

    A relative path is relative to the project folder (where pytest ran, as tox
    runs it); an absolute one must lie inside the work tree. Either must name a
    file that exists there, outside installed packages and virtual envs.
    """

    project: Path
    worktree: Path
    _seen: dict[str, str | None] = field(default_factory=dict, repr=False)

    def __call__(self, path: str) -> str | None:
        if path not in self._seen:
            self._seen[path] = self._locate(path)
        return self._seen[path]

    def _locate(self, path: str) -> str | None:
        given = Path(path)
        full = given if given.is_absolute() else self.project / given
        try:
            relative = full.resolve().relative_to(self.worktree.resolve())
        except (ValueError, OSError):
            return None
        if _NOT_OURS & set(relative.parts) or not (self.worktree / relative).is_file():
            return None
        return relative.as_posix()


def _split(crash: str) -> tuple[str, str]:
    """``(kind, message)`` of an exception as pytest prints it."""
    if crash.startswith(_REWRITTEN_ASSERT):
        return "AssertionError", crash
    match = _TYPED.match(crash)
    if match is None:
        return "", crash
    return match.group("kind"), crash[match.end() :]


def _message(text: str) -> str:
    return first_line(redact_text(first_line(text, limit=10_000)))


def _detail(text: str) -> str:
    """The message's whole text for the step summary, ``""`` when its first line is all."""
    whole = cut(redact_text(text[: DETAIL_CHARS * 10].strip()), DETAIL_CHARS)
    return "" if whole == _message(text) else whole


def _deepest(locations: Iterable[tuple[Any, Any]], locate: Locate) -> tuple[str, int]:
    """The last (deepest) ``(path, line)`` that lies in the work tree, else ``("", 0)``."""
    for path, line in reversed(list(locations)):
        if isinstance(path, str) and isinstance(line, int) and not isinstance(line, bool):
            found = locate(path)
            if found is not None and line > 0:
                return found, line
    return "", 0


def _failure(
    kind: str,
    message: str,
    where: tuple[str, int],
    phase: str,
    unrecorded: tuple[str, str],
    source: str,
) -> Failure:
    """A failure as read from a file; ``unrecorded`` names, in that file's words, an
    absent exception and an absent traceback entry, for ``missing`` to say which."""
    path, line = where
    no_exception, no_entry = unrecorded
    missing = [no_exception] if not kind and not message else []
    if not path:
        missing.append(f"{no_entry} inside the work tree")
    return Failure(
        kind=kind,
        message=_message(message),
        path=path,
        line=line,
        phase=phase,
        missing=f"{source}: {' and '.join(missing)}" if missing else "",
        detail=_detail(message),
    )


def from_longrepr(longrepr: Any, phase: str, locate: Locate, source: str) -> Failure:
    """A report log entry's ``longrepr`` as a :class:`Failure`; ``source`` names the
    file and the test in ``missing`` when the entry records no cause."""
    phase = phase if phase in PHASES else "call"
    if isinstance(longrepr, str) and longrepr.strip():
        kind, message = _split(first_line(longrepr, limit=10_000))
        return Failure(
            kind=kind,
            message=_message(message),
            phase=phase,
            missing=f"{source}: no traceback, only text: the failing line is unknown",
        )
    if not isinstance(longrepr, dict):
        return Failure(phase=phase, missing=f"{source}: no longrepr: the cause is not recorded")
    crash = longrepr.get("reprcrash")
    crash = crash if isinstance(crash, dict) else {}
    text = crash.get("message")
    kind, message = _split(text) if isinstance(text, str) else ("", "")
    entries = longrepr.get("reprtraceback")
    entries = entries.get("reprentries") if isinstance(entries, dict) else None
    locations = [
        (loc.get("path"), loc.get("lineno"))
        for entry in (entries if isinstance(entries, list) else [])
        if isinstance(entry, dict)
        and isinstance(entry.get("data"), dict)
        and isinstance(loc := entry["data"].get("reprfileloc"), dict)
    ]
    where = _deepest([*locations] or [(crash.get("path"), crash.get("lineno"))], locate)
    return _failure(kind, message, where, phase, ("no exception", "no traceback entry"), source)


def from_junit(element: ET.Element, locate: Locate, source: str) -> Failure:
    """A JUnit ``<failure>`` or ``<error>`` element as a :class:`Failure`."""
    message = _ANSI.sub("", element.get("message") or "")
    phase = "call"
    if outer := _PHASE_MESSAGE.match(message):
        phase, message = outer.group("phase"), outer.group("inner")
    kind, message = _split(message) if message else ("", "")
    locations = []
    for text_line in _ANSI.sub("", element.text or "").splitlines():
        if match := _TEXT_LOCATION.match(text_line.strip()):
            locations.append((match.group("path"), int(match.group("line"))))
            rest = match.group("rest")
            if not kind and _TYPED.fullmatch(rest):  # long style; short says "in <function>"
                kind = rest
    where = _deepest(locations, locate)
    return _failure(kind, message, where, phase, ("no message", "no traceback line"), source)
