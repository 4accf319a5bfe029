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

from ci_metrics.errors import GitError, InputError

GitRunner = Callable[[Sequence[str], Path], str]

_HUNK = re.compile(r"^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
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
    """Parse unified diff output (``git diff``, any context size) into changed lines per file.

    Inside a hunk, lines are read by the counts of its ``@@`` header, never by their
    prefix: an added line whose text starts with ``++ `` reads ``+++ ...`` and must not
    be taken for the next file's header.
    """
    diff = Diff(base=base)
    current: str | None = None
    old_path: str | None = None
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
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
        elif match := _HUNK.match(line):
            index = _read_hunk(lines, index, match, diff.changed.get(current) if current else None)
    return diff


def _read_hunk(
    lines: list[str], index: int, header: re.Match[str], changed: set[int] | None
) -> int:
    """Consume one hunk's body; record added lines in ``changed``; return the next index."""
    old_left = 1 if header.group(1) is None else int(header.group(1))
    new_line = int(header.group(2))
    new_left = 1 if header.group(3) is None else int(header.group(3))
    while old_left > 0 or new_left > 0:
        if index >= len(lines):
            raise InputError(f"malformed diff: hunk {header.group(0)} ends early")
        body = lines[index]
        index += 1
        kind = body[:1]
        if kind == "\\":  # "\ No newline at end of file" belongs to neither side
            continue
        if kind == "+" and new_left > 0:
            if changed is not None:
                changed.add(new_line)
            new_line += 1
            new_left -= 1
        elif kind == "-" and old_left > 0:
            old_left -= 1
        elif kind in (" ", "") and old_left > 0 and new_left > 0:
            new_line += 1
            old_left -= 1
            new_left -= 1
        else:
            raise InputError(f"malformed diff: unexpected line in hunk {header.group(0)}: {body!r}")
    return index


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
    merge_base = find_merge_base(root, base, runner)
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


def find_merge_base(root: Path, base: str, runner: GitRunner = run_git) -> str:
    """The merge base of ``base`` and ``HEAD``; a missing one says why and what to do."""
    try:
        return runner(["merge-base", base, "HEAD"], root).strip()
    except GitError:
        pass  # exit 1 without a message: no common ancestor in the history at hand
    try:
        shallow = runner(["rev-parse", "--is-shallow-repository"], root).strip() == "true"
    except GitError:
        shallow = False
    if shallow:
        raise GitError(
            f"the clone is shallow and does not hold the merge base of {base} and HEAD: "
            "fetch the whole history (actions/checkout with `fetch-depth: 0`, "
            "or `git fetch --unshallow`)"
        )
    raise GitError(
        f"HEAD has no common history with {base} (unrelated histories): "
        "pass --base with a ref that HEAD was branched from, or --diff-file"
    )


def diff_from_file(path: Path) -> Diff:
    """Read a unified diff saved to a file (for example from ``git diff > pr.diff``)."""
    try:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
    except OSError as exc:
        raise InputError(f"cannot read diff file {path}: {exc.strerror}") from None
    if not text.strip():
        raise InputError(f"diff file {path} is empty; omit --diff-file to compute it with git")
    return parse_diff(text, base=str(path))
