"""Changed lines of a pull request, computed locally with ``git diff`` from the merge base;
the names of the files a change touched, and the commits before a merge base.

Computing the diff locally has no size limit (unlike the REST API's). Renamed files
count under their new path, deleted and binary files have no changed lines, and
paths with spaces or quoted (escaped) characters are decoded.

File names come back the way Python names files (``os.fsdecode``), which is
how coverage.py records them: bytes that are not UTF-8 become surrogate escapes.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ci_metrics.errors import GitError, InputError

GitRunner = Callable[[Sequence[str], Path], str]

_HUNK = re.compile(r"^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
#: A C-quoted name as git prints it, and the parts of its inside: an escape
#: (three octal digits for one byte, or one of git's named escapes), a run of
#: plain text, or anything else (a stray quote or backslash), which is malformed.
_QUOTED = re.compile(r'"(.*)"', re.DOTALL)
_QUOTED_PART = re.compile(r'\\([0-3][0-7]{2}|[abtnvfr"\\])|([^"\\]+)|(.)', re.DOTALL)
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
DEFAULT_BASES = ("origin/HEAD", "origin/main", "origin/master", "main", "master")


@dataclass
class Diff:
    """Added or modified lines per file (new-side numbers), and what was left out."""

    base: str
    changed: dict[str, set[int]] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    binary: int = 0
    #: The commit the diff starts from, when git computed it ("" for a saved diff).
    merge_base: str = ""

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
        message = proc.stderr.decode(errors="replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {message[-1] if message else proc.returncode}")
    # Names that are not UTF-8 (printed raw under core.quotePath=false) stay
    # surrogate escapes, as Python and coverage.py name those files.
    return proc.stdout.decode(errors="surrogateescape")


def unquote_path(raw: str) -> str:
    """Decode a path as git prints it: C-quoted when it holds special bytes.

    As git's own unquoting: a name that starts with a quote is quoted; inside,
    ``\\ooo`` is one byte and ``\\"``, ``\\\\``, ``\\a`` ... ``\\v`` the usual
    characters; anything else is a malformed diff (:class:`InputError`).
    """
    if not raw.startswith('"'):
        return raw
    quoted = _QUOTED.fullmatch(raw)
    if quoted is None:
        raise _malformed_name(raw)
    out = bytearray()
    for escape, text, stray in _QUOTED_PART.findall(quoted.group(1)):
        if stray:
            raise _malformed_name(raw)
        if text:
            out.extend(text.encode(errors="surrogateescape"))
        elif len(escape) == 3:
            out.append(int(escape, 8))
        else:
            out.append(_ESCAPES[escape])
    return out.decode(errors="surrogateescape")


def _malformed_name(raw: str) -> InputError:
    return InputError(f"malformed diff: bad quoted path {raw}")


def _new_path(line: str) -> str | None:
    # git appends a tab to names containing spaces, for patch(1)'s sake.
    raw = line[4:].removesuffix("\t")
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
    # The changed lines of the file the hunks belong to; None outside a file's
    # header or for a deleted file (whose hunks are read, but record nothing).
    changed: set[int] | None = None
    old_path: str | None = None
    lines = iter(text.splitlines())
    for line in lines:
        if line.startswith("diff --git "):
            changed, old_path = None, None
        elif line.startswith("--- "):
            old = _new_path(line)
            old_path = old[2:] if old and old.startswith("a/") else old
        elif line.startswith("+++ "):
            current = _new_path(line)
            if current is None:
                changed = None
                if old_path is not None:
                    diff.deleted.append(old_path)
            else:
                changed = diff.changed.setdefault(current, set())
        elif line.startswith("Binary files "):
            diff.binary += 1
        elif match := _HUNK.match(line):
            _read_hunk(lines, match, changed)
    return diff


def _read_hunk(lines: Iterator[str], header: re.Match[str], changed: set[int] | None) -> None:
    """Consume one hunk's body from ``lines``; record its added lines in ``changed``."""
    old_left = 1 if header.group(1) is None else int(header.group(1))
    new_line = int(header.group(2))
    new_left = 1 if header.group(3) is None else int(header.group(3))
    while old_left > 0 or new_left > 0:
        body = next(lines, None)
        if body is None:
            raise InputError(f"malformed diff: hunk {header.group(0)} ends early")
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


def resolve_base(root: Path, requested: str | None, runner: GitRunner = run_git) -> str:
    """The ref to diff against: ``requested``, else the first default base that exists."""
    candidates = [requested] if requested else list(DEFAULT_BASES)
    for ref in candidates:
        try:
            runner(["rev-parse", "--verify", f"{ref}^{{commit}}"], root)
        except GitError:
            continue
        return ref
    if requested:
        raise GitError(f"base ref {requested!r} does not exist")
    raise GitError("no base ref found (tried " + ", ".join(DEFAULT_BASES) + "); pass --base")


def diff_from_git(root: Path, base: str, runner: GitRunner = run_git) -> Diff:
    """Changed lines of the working tree against the merge base of ``base`` and ``HEAD``."""
    merge_base = find_merge_base(root, base, runner)
    # Whatever the user's core.quotePath, unquote_path reads the same names.
    text = runner(
        [
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
    diff = parse_diff(text, base=base)
    diff.merge_base = merge_base
    return diff


def base_is_head(root: Path, base: str, runner: GitRunner = run_git) -> bool:
    """Whether the merge base of ``base`` and ``HEAD`` is ``HEAD``: no commit to compare."""
    head = runner(["rev-parse", "HEAD"], root).strip()
    return find_merge_base(root, base, runner) == head


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
        text = path.read_bytes().decode(errors="surrogateescape")
    except OSError as exc:
        raise InputError(f"cannot read diff file {path}: {exc.strerror}") from None
    if not text.strip():
        raise InputError(f"diff file {path} is empty; omit --diff-file to compute it with git")
    return parse_diff(text, base=str(path))


def _names(output: str) -> list[str]:
    return [name for name in output.split("\0") if name]


def first_parents(root: Path, commit: str, count: int, runner: GitRunner = run_git) -> list[str]:
    """``commit`` and its first-parent ancestors, nearest first: at most ``count``."""
    output = runner(["rev-list", "--first-parent", f"--max-count={count}", commit], root)
    return output.split()


def changed_paths(root: Path, commit: str, runner: GitRunner = run_git) -> list[str]:
    """Every file the work tree changed since ``commit`` (committed or not, untracked files
    included): added, modified and deleted, a renamed file under both its names."""
    changed = _names(
        runner(["diff", "--name-only", "--no-renames", "--no-ext-diff", "-z", commit], root)
    )
    untracked = _names(runner(["ls-files", "--others", "--exclude-standard", "-z"], root))
    return sorted(set(changed) | set(untracked))


def python_files(root: Path, runner: GitRunner = run_git) -> list[str]:
    """The work tree's Python files: tracked, and untracked but not ignored."""
    output = runner(
        ["ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", "*.py"], root
    )
    return sorted(set(_names(output)))
