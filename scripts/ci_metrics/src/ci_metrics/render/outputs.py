"""Key figures as ``key=value`` lines for ``$GITHUB_OUTPUT``."""

from __future__ import annotations

from collections.abc import Mapping


def github_output(figures: Mapping[str, str]) -> str:
    """``key=value`` lines for ``$GITHUB_OUTPUT``."""
    return "".join(f"{key}={value}\n" for key, value in figures.items())
