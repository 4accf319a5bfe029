"""Sinks: destinations that write already-rendered lines and nothing else.

A sink never formats, filters or redacts - the pipeline has done that before a
line reaches it. The dispatcher hands each sink a batch of lines; a sink raising
from ``write`` costs that batch for that sink only.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, TextIO, runtime_checkable


@runtime_checkable
class Sink(Protocol):
    """What the dispatcher needs from a destination.

    A sink may also offer ``after_fork()``, called in a forked child before
    the child's first write (to replace locks copied from the parent).
    """

    name: str

    def write(self, lines: Sequence[str]) -> None:
        """Write *lines* (rendered events, without trailing newlines)."""

    def flush(self) -> None:
        """Push buffered output to its destination."""

    def close(self) -> None:
        """Release resources; no write follows."""


class StreamSink:
    """Writes lines to a text stream such as ``sys.stderr``; never closes it.

    The stream belongs to the caller (it is usually stdout/stderr), so
    :meth:`close` only flushes.
    """

    def __init__(self, stream: TextIO, *, name: str = "stream") -> None:
        self.name = name
        self._stream = stream

    def write(self, lines: Sequence[str]) -> None:
        self._stream.write("".join(f"{line}\n" for line in lines))
        self._stream.flush()

    def flush(self) -> None:
        self._stream.flush()

    def close(self) -> None:
        self.flush()


class RotatingFileSink:
    """Appends lines to a file, rotating it once it would exceed *max_bytes*.

    On rotation ``path`` becomes ``path.1``, ``path.1`` becomes ``path.2`` and so
    on; the oldest beyond *backup_count* is deleted. A single batch larger than
    *max_bytes* is still written whole to a fresh file rather than split.
    """

    def __init__(
        self, path: Path | str, *, max_bytes: int, backup_count: int, name: str = "file"
    ) -> None:
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be positive, got {max_bytes}")
        if backup_count < 0:
            raise ValueError(f"backup_count must not be negative, got {backup_count}")
        self.name = name
        self.path = Path(path)
        self._max_bytes = max_bytes
        self._backup_count = backup_count
        self._lock = threading.Lock()
        self._file = self._open()

    def _open(self) -> Any:
        handle = self.path.open("ab")
        self._size = handle.tell()
        return handle

    def write(self, lines: Sequence[str]) -> None:
        data = "".join(f"{line}\n" for line in lines).encode("utf-8")
        with self._lock:
            if self._size and self._size + len(data) > self._max_bytes:
                self._rotate()
            self._file.write(data)
            self._file.flush()
            self._size += len(data)

    def _rotate(self) -> None:
        self._file.close()
        if self._backup_count == 0:
            self.path.unlink()
        else:
            for index in range(self._backup_count - 1, 0, -1):
                older = self.path.with_name(f"{self.path.name}.{index}")
                if older.exists():
                    os.replace(older, self.path.with_name(f"{self.path.name}.{index + 1}"))
            os.replace(self.path, self.path.with_name(f"{self.path.name}.1"))
        self._file = self._open()

    def flush(self) -> None:
        with self._lock:
            self._file.flush()

    def after_fork(self) -> None:
        """In a forked child: replace a lock the parent's worker may have held at fork time."""
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._file.close()


class MemorySink:
    """Keeps every line in memory; for tests and benchmarks."""

    def __init__(self, *, name: str = "memory") -> None:
        self.name = name
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self.closed = False

    def write(self, lines: Sequence[str]) -> None:
        with self._lock:
            self._lines.extend(lines)

    def flush(self) -> None:
        """Nothing is buffered."""

    def close(self) -> None:
        self.closed = True

    @property
    def lines(self) -> list[str]:
        """A copy of the lines written so far."""
        with self._lock:
            return list(self._lines)

    def events(self) -> list[dict[str, Any]]:
        """The lines parsed as JSON objects (for a sink fed by the JSON renderer)."""
        return [json.loads(line) for line in self.lines]

    def after_fork(self) -> None:
        """In a forked child: replace a lock the parent's worker may have held at fork time."""
        self._lock = threading.Lock()

    def clear(self) -> None:
        """Forget every line written so far."""
        with self._lock:
            self._lines.clear()
