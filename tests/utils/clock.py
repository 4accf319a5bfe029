"""A controllable clock for code that takes ``clock``/``monotonic`` callables."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

#: 2026-01-01T00:00:00Z: a fixed, readable starting point for wall-clock tests.
DEFAULT_START = 1_767_225_600.0


@dataclass
class FakeClock:
    """Wall-clock and monotonic time that only move when a test says so.

    Pass ``clock.time`` where code expects ``time.time`` and
    ``clock.monotonic`` where it expects ``time.monotonic``. ``sleep`` advances
    the clock instead of blocking, so retry and backoff code runs instantly and
    the requested delays stay visible in ``sleeps``.
    """

    start: float = DEFAULT_START
    _offset: float = 0.0
    sleeps: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def time(self) -> float:
        with self._lock:
            return self.start + self._offset

    def monotonic(self) -> float:
        with self._lock:
            return self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        with self._lock:
            self._offset += seconds

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(max(seconds, 0.0))
