"""The time the services read, as injectable callables.

Token validity, rate-limit windows, cache ages and timestamps read the time
through a :data:`Clock` (seconds since the epoch, like ``time.time``); retries
wait through a :data:`Sleep` (like ``time.sleep``). Tests pass a fake clock
whose ``sleep`` advances it, so nothing waits for real time.
"""

from __future__ import annotations

from collections.abc import Callable

Clock = Callable[[], float]
Sleep = Callable[[float], None]
