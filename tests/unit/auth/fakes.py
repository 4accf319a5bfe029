"""Redis client stand-ins for the replay cache tests (no sockets)."""

from __future__ import annotations

import redis


class FailingRedis:
    """Every command fails, as during an outage."""

    def set(self, *args, **kwargs):
        raise redis.ConnectionError("connection refused")

    def ping(self):
        raise redis.ConnectionError("connection refused")

    def close(self):
        pass


class FakeRedis:
    """Records calls; implements SET NX EX and PING like a Redis server would."""

    def __init__(self, *, fail: bool = False) -> None:
        self.fail = fail
        self.store: dict[str, int] = {}
        self.calls: list[tuple] = []
        self.closed = False

    def set(self, key, value, *, nx, ex):
        self.calls.append(("set", key, value, nx, ex))
        if self.fail:
            raise redis.ConnectionError("connection refused")
        if nx and key in self.store:
            return None
        self.store[key] = ex
        return True

    def ping(self):
        if self.fail:
            raise redis.TimeoutError("timed out")
        return True

    def close(self):
        self.closed = True
