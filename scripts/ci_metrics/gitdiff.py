"""Changed lines of a pull request, computed locally with ``git diff`` from the merge base.

Computing the diff locally has no size limit (unlike the REST API's). Renamed files
count under their new path, deleted and binary files have no changed lines, and
paths with spaces or quoted (escaped) characters are decoded.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scripts.ci_metrics.errors import GitError, InputError

GitRunner = Callable[[Sequence[str], Path], str]

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
_OCTAL = re.compile(r"[0-7]{3}")
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
DEFAULT_BASES = ("origin/HEAD", "origin/main", "origin/master", "main", "master")


@dataclass
class Diff:
    """Added or modified lines per file (new-side numbers), and what was left out."""

    base: str
    changed: dict[str, set[int]] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    binary: int = 0

    def python_files(self) -> dict[str, set[int]]:
        """Changed lines of Python files only (other files have no coverage)."""
        return {p: lines for p, lines in self.changed.items() if p.endswith(".py") and lines}

    @property
    def changed_line_count(self) -> int:
        """All added or modified lines, in every file."""
        return sum(len(lines) for lines in self.changed.values())


def run_git(args: Sequence[str], cwd: Path) -> str:
    """Run ``git`` and return its standard output; failures become :class:`GitError`."""
    try:
        proc = subprocess.run(  # noqa: S603  (fixed executable, arguments built here)
            ["git", *args],  # noqa: S607
            cwd=cwd,
            capture_output=True,
            check=False,
        )
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror}") from None
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {message[-1] if message else proc.returncode}")
    return proc.stdout.decode("utf-8", "surrogateescape")


def unquote_path(raw: str) -> str:
    """Decode a path as git prints it: C-quoted when it holds special bytes."""
    if not (raw.startswith('"') and raw.endswith('"') and len(raw) >= 2):
        return raw
    out = bytearray()
    body, i = raw[1:-1], 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            if _OCTAL.fullmatch(body[i + 1 : i + 4]):
                out.append(int(body[i + 1 : i + 4], 8))
                i += 4
                continue
            out.append(_ESCAPES.get(body[i + 1], ord(body[i + 1])))
            i += 2
            continue
        out.extend(char.encode("utf-8", "surrogateescape"))
        i += 1
    return out.decode("utf-8", "replace")


def _new_path(line: str) -> str | None:
    raw = line[4:].rstrip("\n")
    # git appends a tab to names containing spaces, for patch(1)'s sake.
    raw = raw[:-1] if raw.endswith("\t") else raw
    if raw == "/dev/null":
        return None
    path = unquote_path(raw)
    return path[2:] if path.startswith("b/") else path


def parse_diff(text: str, base: str = "") -> Diff:
    """Parse ``git diff --unified=0`` output into changed lines per file."""
    diff = Diff(base=base)
    current: str | None = None
    old_path: str | None = None
    for line in text.splitlines():
        if line.startswith("diff --git "):
            current, old_path = None, None
        elif line.startswith("--- "):
            old = _new_path(line)
            old_path = old[2:] if old and old.startswith("a/") else old
        elif line.startswith("+++ "):
            current = _new_path(line)
            if current is None:
                if old_path is not None:
                    diff.deleted.append(old_path)
            else:
                diff.changed.setdefault(current, set())
        elif line.startswith("Binary files "):
            diff.binary += 1
        elif current is not None and (match := _HUNK.match(line)):
            start = int(match.group(1))
            count = 1 if match.group(2) is None else int(match.group(2))
            diff.changed[current].update(range(start, start + count))
    return diff


def resolve_base(root: Path, requested: str | None, runner: GitRunner = run_git) -> str:
    """The ref to diff against: ``requested``, else the first default base that exists."""
    candidates = [requested] if requested else list(DEFAULT_BASES)
    for ref in candidates:
        try:
            runner(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root)
        except GitError:
            continue
        return ref
    if requested:
        raise GitError(f"base ref {requested!r} does not exist")
    raise GitError("no base ref found (tried " + ", ".join(DEFAULT_BASES) + "); pass --base")


def diff_from_git(root: Path, base: str, runner: GitRunner = run_git) -> Diff:
    """Changed lines of the working tree against the merge base of ``base`` and ``HEAD``."""
    merge_base = runner(["merge-base", base, "HEAD"], root).strip()
    text = runner(
        [
            "-c",
            "core.quotePath=false",
            "diff",
            "--no-color",
            "--no-ext-diff",
            "--unified=0",
            "--find-renames",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            merge_base,
        ],
        root,
    )
    return parse_diff(text, base=base)


def diff_from_file(path: Path) -> Diff:
    """Read a unified diff saved to a file (for example from ``git diff > pr.diff``)."""
    try:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
    except OSError as exc:
        raise InputError(f"cannot read diff file {path}: {exc.strerror}") from None
    if not text.strip():
        raise InputError(f"diff file {path} is empty; omit --diff-file to compute it with git")
    return parse_diff(text, base=str(path))
