"""Check that every relative link and anchor in markdown files resolves.

    python -m scripts.check_links README.md docs

Arguments are files or folders (searched for ``*.md``). External links
(``http:``, ``https:``, ``mailto:``) are not fetched: the check runs offline.
Anchors are matched against GitHub's heading slugs. Each broken link is
printed as ``path:line: message``; the exit code is 1 if any was found, 2 for
bad arguments.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote

_LINK = re.compile(r"(?<!!)\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)>?")
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_INLINE_CODE = re.compile(r"`[^`]*`")
_EXTERNAL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


@dataclass(frozen=True)
class BrokenLink:
    path: Path
    line: int
    target: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: broken link {self.target!r}: {self.reason}"


def _prose_lines(text: str, *, keep_code: bool = False) -> Iterator[tuple[int, str]]:
    """Yield (line number, line) outside fenced code blocks.

    Inline code is removed unless ``keep_code`` (headings keep it for their slug).
    """
    fence: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        match = _FENCE.match(line)
        if match:
            marker = match.group(1)[0]
            if fence is None:
                fence = marker
                continue
            if marker == fence:
                fence = None
                continue
        if fence is None:
            yield number, line if keep_code else _INLINE_CODE.sub("", line)


def slugify(heading: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to '-'."""
    text = _INLINE_CODE.sub(lambda m: m.group(0).strip("`"), heading)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # [text](url) -> text
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


@cache
def anchors_of(path: Path) -> frozenset[str]:
    seen: dict[str, int] = {}
    anchors: set[str] = set()
    for _, line in _prose_lines(path.read_text(encoding="utf-8"), keep_code=True):
        match = _HEADING.match(line)
        if not match:
            continue
        slug = slugify(match.group(1))
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return frozenset(anchors)


def links_in(text: str) -> Iterator[tuple[int, str]]:
    for number, line in _prose_lines(text):
        for pattern in (_LINK, _IMAGE):
            for match in pattern.finditer(line):
                yield number, match.group(1)
        reference = _REFERENCE.match(line)
        if reference:
            yield number, reference.group(1)


def check_file(path: Path) -> list[BrokenLink]:
    broken: list[BrokenLink] = []
    for line, target in links_in(path.read_text(encoding="utf-8")):
        if _EXTERNAL.match(target):
            continue
        location, _, anchor = target.partition("#")
        resolved = (path.parent / unquote(location)).resolve() if location else path.resolve()
        if not resolved.exists():
            broken.append(BrokenLink(path, line, target, f"{location} does not exist"))
            continue
        if anchor and resolved.suffix == ".md" and unquote(anchor) not in anchors_of(resolved):
            broken.append(
                BrokenLink(path, line, target, f"no heading #{anchor} in {location or path.name}")
            )
    return broken


def markdown_files(arguments: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for argument in arguments:
        if argument.is_dir():
            files.extend(sorted(argument.rglob("*.md")))
        elif argument.is_file():
            files.append(argument)
        else:
            raise FileNotFoundError(f"{argument} does not exist")
    return files


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.check_links",
        description="Check relative links and anchors in markdown files (offline).",
    )
    parser.add_argument("paths", nargs="+", type=Path, help="markdown files or folders")
    args = parser.parse_args(argv)
    try:
        files = markdown_files(args.paths)
    except FileNotFoundError as exc:
        print(f"check_links: {exc}", file=sys.stderr)
        return 2
    broken = [link for path in files for link in check_file(path)]
    for link in broken:
        print(link, file=sys.stderr)
    print(f"check_links: {len(files)} file(s), {len(broken)} broken link(s)")
    return 1 if broken else 0


if __name__ == "__main__":  # pragma: no cover - exercised through the CLI
    raise SystemExit(main())
