"""A ``limits`` storage on an injected clock, for rate-limit and throttle tests."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from limits.storage import Storage


class StorageDown(ConnectionError):
    """What a failing rate-limit storage raises."""


@dataclass(eq=False)
class ClockedMemoryStorage(Storage):
    """A fixed-window ``limits`` storage whose expiry follows an injected clock.

    ``failing = True`` makes every call raise, like an unreachable Redis.
    """

    clock: Any
    failing: bool = False
    counters: dict[str, int] = field(default_factory=dict)
    expiries: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(wrap_exceptions=True)
        self._lock = threading.Lock()

    @property
    def base_exceptions(self) -> type[Exception]:
        return StorageDown

    def _check(self) -> None:
        if self.failing:
            raise StorageDown("storage unreachable")

    def _expire(self, key: str) -> None:
        if self.expiries.get(key, float("inf")) <= self.clock.time():
            self.counters.pop(key, None)
            self.expiries.pop(key, None)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        self._check()
        with self._lock:
            self._expire(key)
            if key not in self.counters:
                self.expiries[key] = self.clock.time() + expiry
            self.counters[key] = self.counters.get(key, 0) + amount
            return self.counters[key]

    def get(self, key: str) -> int:
        self._check()
        with self._lock:
            self._expire(key)
            return self.counters.get(key, 0)

    def get_expiry(self, key: str) -> float:
        self._check()
        with self._lock:
            return self.expiries.get(key, self.clock.time())

    def check(self) -> bool:
        return not self.failing

    def reset(self) -> int | None:
        with self._lock:
            count = len(self.counters)
            self.counters.clear()
            self.expiries.clear()
            return count

    def clear(self, key: str) -> None:
        with self._lock:
            self.counters.pop(key, None)
            self.expiries.pop(key, None)
