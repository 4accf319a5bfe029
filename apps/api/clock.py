"""The clock type the API's time-dependent collaborators take.

Token validity, rate-limit windows, cache ages and timestamps all read the time
through an injected ``Clock`` (seconds since the epoch, like ``time.time``), so
tests can move time explicitly instead of waiting.
"""

from __future__ import annotations

from collections.abc import Callable

Clock = Callable[[], float]
