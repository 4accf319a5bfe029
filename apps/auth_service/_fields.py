"""Field readers that collect problems instead of stopping at the first one.

Each reader returns a value (or ``None``) and appends a message naming the
field to ``problems``; the caller raises one ``ConfigError`` at the end.
Messages name the field and the expectation, never the offending value, so a
misplaced secret cannot leak through an error message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class Reader:
    """Reads typed fields out of one TOML table, recording problems by dotted name."""

    def __init__(self, table: Mapping[str, Any], prefix: str, problems: list[str]) -> None:
        self.table = table
        self.prefix = prefix
        self.problems = problems

    def name(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def fail(self, key: str, message: str) -> None:
        self.problems.append(f"{self.name(key)}: {message}")

    def reject_unknown(self, known: set[str]) -> None:
        for key in sorted(set(self.table) - known):
            self.fail(key, "unknown field")

    def string(
        self, key: str, default: str | None = None, *, pattern: re.Pattern[str] | None = None
    ) -> str | None:
        value = self.table.get(key, default)
        if value is None:
            self.fail(key, "is required")
            return None
        if not isinstance(value, str) or not value:
            self.fail(key, "must be a non-empty string")
            return None
        if pattern is not None and not pattern.fullmatch(value):
            self.fail(key, f"must match {pattern.pattern}")
            return None
        return value

    def boolean(self, key: str, default: bool) -> bool | None:
        value = self.table.get(key, default)
        if not isinstance(value, bool):
            self.fail(key, "must be true or false")
            return None
        return value

    def integer(self, key: str, default: int, *, low: int, high: int) -> int | None:
        value = self.table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, "must be an integer")
            return None
        if not low <= value <= high:
            self.fail(key, f"must be between {low} and {high}")
            return None
        return value

    def number(self, key: str, default: float, *, low: float, high: float) -> float | None:
        value = self.table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(key, "must be a number")
            return None
        if not low <= value <= high:
            self.fail(key, f"must be between {low} and {high}")
            return None
        return float(value)

    def url(self, key: str, default: str | None = None, *, schemes: tuple[str, ...]) -> str | None:
        """A URL with one of ``schemes``; plain ``http`` only for loopback hosts."""
        value = self.string(key, default)
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in schemes or not parts.hostname or parts.query or parts.fragment:
            self.fail(key, f"must be an absolute {'/'.join(schemes)} URL without query")
            return None
        if parts.scheme == "http" and parts.hostname not in _LOOPBACK_HOSTS:
            self.fail(key, "plain http is only allowed for loopback hosts; use https")
            return None
        return value

    def table_of(self, key: str) -> Mapping[str, Any]:
        value = self.table.get(key, {})
        if not isinstance(value, Mapping):
            self.fail(key, "must be a table")
            return {}
        return value

    def list_of_tables(self, key: str) -> list[Mapping[str, Any]]:
        value = self.table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            self.fail(key, "must be an array of tables")
            return []
        return value

    def list_of_strings(self, key: str, *, pattern: re.Pattern[str]) -> tuple[str, ...] | None:
        """A non-empty array of strings matching ``pattern``, without duplicates."""
        value = self.table.get(key)
        if value is None:
            self.fail(key, "is required")
            return None
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(v, str) and pattern.fullmatch(v) for v in value)
        ):
            self.fail(key, f"must be a non-empty array of strings matching {pattern.pattern}")
            return None
        return tuple(dict.fromkeys(value))
