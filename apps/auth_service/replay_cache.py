"""Replay cache: remember assertion ids until they could no longer be accepted.

The interface is one atomic operation, ``add_if_absent(key, ttl_seconds)``,
returning ``True`` if the key was new. Both implementations fail closed: when
they cannot answer they raise ``ReplayCacheUnavailable`` and the token
endpoint refuses the request.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import redis

from apps.kernel.clock import Clock


class ReplayCacheUnavailable(RuntimeError):
    """The replay cache cannot answer; callers must fail closed."""


class ReplayCache(Protocol):
    """Atomic add-if-absent with a time to live."""

    def add_if_absent(self, key: str, ttl_seconds: int) -> bool: ...

    def ping(self) -> bool: ...

    def close(self) -> None: ...


class MemoryReplayCache:
    """A thread-safe, bounded, expiring cache for one process.

    When full of unexpired entries it refuses new ones (raises
    ``ReplayCacheUnavailable``) rather than evicting a live entry, because an
    evicted id could be replayed.
    """

    def __init__(self, *, max_entries: int, clock: Clock = time.time) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._max_entries = max_entries
        self._clock = clock
        self._live: set[str] = set()
        # (expiry, key) of every live key: the next to expire on top.
        self._heap: list[tuple[float, str]] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            self._purge(self._clock())
            return len(self._live)

    def add_if_absent(self, key: str, ttl_seconds: int) -> bool:
        if ttl_seconds < 1:
            raise ValueError("ttl_seconds must be at least 1")
        with self._lock:
            now = self._clock()
            self._purge(now)
            if key in self._live:
                return False
            if len(self._live) >= self._max_entries:
                raise ReplayCacheUnavailable("in-memory replay cache is full")
            self._live.add(key)
            heapq.heappush(self._heap, (now + ttl_seconds, key))
            return True

    def _purge(self, now: float) -> None:
        while self._heap and self._heap[0][0] <= now:
            # A key has one heap entry: it is only re-added after this purge removed it.
            _, key = heapq.heappop(self._heap)
            self._live.remove(key)

    def ping(self) -> bool:
        return True

    def close(self) -> None:
        """Nothing to release."""


class RedisReplayCache:
    """Replay cache shared by every worker through Redis (``SET key 1 NX EX ttl``)."""

    def __init__(self, client: Any, *, prefix: str = "auth_service:jti:") -> None:
        self._client = client
        self._prefix = prefix

    def add_if_absent(self, key: str, ttl_seconds: int) -> bool:
        if ttl_seconds < 1:
            raise ValueError("ttl_seconds must be at least 1")
        try:
            return bool(self._client.set(self._prefix + key, 1, nx=True, ex=ttl_seconds))
        except redis.RedisError as exc:
            raise ReplayCacheUnavailable(f"redis error: {type(exc).__name__}") from None

    def ping(self) -> bool:
        try:
            return bool(self._client.ping())
        except redis.RedisError:
            return False

    def close(self) -> None:
        self._client.close()


def replay_cache_from_url(
    url: str,
    *,
    max_entries: int,
    clock: Clock = time.time,
    redis_factory: Callable[..., Any] = redis.Redis.from_url,
) -> ReplayCache:
    """``memory://`` gives the in-process cache; ``redis://`` / ``rediss://`` gives Redis."""
    if url == "memory://":
        return MemoryReplayCache(max_entries=max_entries, clock=clock)
    if url.startswith(("redis://", "rediss://")):
        client = redis_factory(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        return RedisReplayCache(client)
    raise ValueError("replay cache URL must start with memory://, redis:// or rediss://")
