"""The size of a comment as GitHub's limit is checked: one count for the renderer and ``post``."""

from __future__ import annotations

#: GitHub's limit on a comment body ("maximum is 65536 characters").
GITHUB_COMMENT_LIMIT = 65536


def comment_size(text: str) -> int:
    """The length of a comment body in the unit its limit is checked in: UTF-16 code units.

    GitHub says "maximum is 65536 characters" without saying how it counts, and
    reports disagree (code points; 4 bytes per character). UTF-16 code units are
    at least the code points, and 65,536 of them are at most 196,608 UTF-8 bytes,
    so a body within the limit by this count is within it by each reading.
    """
    return len(text.encode("utf-16-le")) // 2
