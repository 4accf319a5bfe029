"""Per (tenant, client) rate limiting on the ``limits`` library.

Strategy: **fixed window** (``limits.strategies.FixedWindowRateLimiter``). Each
hit is one atomic increment-with-expiry (a single Lua ``INCR``/``EXPIRE`` round
trip on Redis, a locked counter in memory), so the count is exact under
concurrency and across processes that share a Redis, the cost per request is
constant, and ``RateLimit-Reset`` is simply the end of the current window. The
trade-off, accepted here, is that a client can spend up to twice the limit
across a window boundary; the moving window would avoid that at the price of
storing one timestamp per request.

Storage: ``memory://`` (per process, the default) or ``redis://`` (shared by
every worker and host), built by :func:`create_storage`.

**When the storage fails, the limiter fails open**: the request is served
without ``RateLimit-*`` headers, the failure is logged as
``rate_limit.storage_error`` and counted in
``api_rate_limit_storage_errors_total``. Rate limiting protects capacity, not
data: callers are already authenticated and tenant-scoped before the limiter
runs, so a Redis outage should degrade fairness, not take the API down. An
alert on that counter is the intended safety net.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import quote

import structlog
from limits import parse
from limits.errors import StorageError
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter

from apps.api.metrics import ApiMetrics
from apps.kernel.clock import Clock
from apps.kernel.limits_storage import create_storage

__all__ = ["RateLimitDecision", "RateLimiter", "create_storage"]


@dataclass(frozen=True)
class RateLimitDecision:
    """The outcome of one hit: whether it is allowed and the window's state."""

    allowed: bool
    limit: int
    remaining: int
    reset_after: int

    def headers(self) -> dict[str, str]:
        """``RateLimit-*`` headers, plus ``Retry-After`` when refused."""
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_after),
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(self.reset_after, 1))
        return headers


class RateLimiter:
    """Counts hits per (tenant, client) against one limit such as ``100/minute``.

    Each (tenant, client) pair has one counter per window in ``storage``, under
    a key that holds both ids percent-encoded, one key segment each.
    """

    def __init__(
        self,
        storage: Storage,
        limit: str,
        *,
        clock: Clock,
        metrics: ApiMetrics | None = None,
    ) -> None:
        self._strategy = FixedWindowRateLimiter(storage)
        self._item = parse(limit)
        self._clock = clock
        self._metrics = metrics if metrics is not None else ApiMetrics.create()
        self._logger = structlog.get_logger(__name__)

    @property
    def limit(self) -> int:
        return int(self._item.amount)

    def hit(self, tenant: str, client_id: str) -> RateLimitDecision | None:
        """Count one request; None means the storage failed and the request may pass."""
        # ``limits`` joins the ids with "/": encoding it keeps ("a/b", "c") and
        # ("a", "b/c") apart, and each id one segment of the storage key.
        identity = (_segment(tenant), _segment(client_id))
        try:
            allowed = self._strategy.hit(self._item, *identity)
            stats = self._strategy.get_window_stats(self._item, *identity)
        except StorageError as exc:
            self._metrics.rate_limit_storage_errors.inc()
            self._logger.error(
                "rate_limit.storage_error",
                decision="fail_open",
                error_type=type(exc.storage_error).__name__,
            )
            return None
        if not allowed:
            self._metrics.rate_limited.inc()
        reset_after = max(0, math.ceil(stats.reset_time - self._clock()))
        return RateLimitDecision(
            allowed=allowed,
            limit=self.limit,
            remaining=max(0, stats.remaining),
            reset_after=reset_after,
        )


def _segment(value: str) -> str:
    """``value`` as one storage-key segment: ``/`` and ``%`` percent-encoded."""
    return quote(value, safe="")
