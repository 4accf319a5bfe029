"""Throttling of failed client authentications, checked before any argon2 work.

Each failed authentication at the token endpoint counts once against the
client id it claimed and once against the address it came from (IPv6 by
/64, what one host is usually given). While either budget of the current
window is spent, requests naming that client or coming from that address are
refused with 429 before the registry is asked and before any argon2id
verification: a client that keeps guessing, or floods with unknown ids,
cannot saturate the workers. Successful authentications are not counted, so
a busy, correct client is never throttled; unknown and known client ids are
counted alike, so the throttle tells no ids apart.

The counters live in a ``limits`` storage (fixed windows): Redis shares them
across workers and hosts. **When the storage fails, the token endpoint fails
closed** (503): unthrottled guessing during an outage is worse than a short
refusal, and private_key_jwt already needs the same Redis for its replay
cache.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from urllib.parse import quote

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter

from apps.auth_service.settings import ThrottleSettings
from apps.kernel.clock import Clock

CLIENT = "client"
ADDRESS = "address"
#: The one budget of requests whose address is missing or not an IP address.
UNKNOWN_ADDRESS = "unknown"


class ThrottleUnavailable(RuntimeError):
    """The throttle's storage cannot answer; the request is refused (fail closed)."""


@dataclass(frozen=True)
class Refusal:
    """Which budget is spent, and in how many seconds the window ends."""

    limit: str
    retry_after: int


def address_key(remote_addr: str | None) -> str:
    """The budget an address counts against: itself (IPv4) or its /64 (IPv6)."""
    if remote_addr is None:
        return UNKNOWN_ADDRESS
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:
        return UNKNOWN_ADDRESS
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Interface((address, 64)).network)
    return str(address)


class FailureThrottle:
    """Per client id and per address budgets of failed authentications."""

    def __init__(self, storage: Storage, settings: ThrottleSettings, *, clock: Clock) -> None:
        self._limiter = FixedWindowRateLimiter(storage)
        self._items: dict[str, RateLimitItem] = {
            CLIENT: parse(settings.failures_per_client),
            ADDRESS: parse(settings.failures_per_address),
        }
        self._clock = clock

    def check(self, client_id: str | None, address: str) -> Refusal | None:
        """A refusal if the client's or the address's budget is spent, else None."""
        for limit, identity in self._identities(client_id, address):
            item = self._items[limit]
            try:
                if self._limiter.test(item, limit, identity):
                    continue
                reset = self._limiter.get_window_stats(item, limit, identity).reset_time
            except StorageError as exc:
                raise _unavailable(exc) from None
            return Refusal(limit, max(1, math.ceil(reset - self._clock())))
        return None

    def record_failure(self, client_id: str | None, address: str) -> None:
        """Count one failed authentication against the client id and the address."""
        for limit, identity in self._identities(client_id, address):
            try:
                self._limiter.hit(self._items[limit], limit, identity)
            except StorageError as exc:
                raise _unavailable(exc) from None

    @staticmethod
    def _identities(client_id: str | None, address: str) -> list[tuple[str, str]]:
        # Quoting keeps any client id one storage-key segment.
        identities = [(ADDRESS, address)]
        if client_id is not None:
            identities.insert(0, (CLIENT, quote(client_id, safe="")))
        return identities


def _unavailable(exc: StorageError) -> ThrottleUnavailable:
    return ThrottleUnavailable(f"storage error: {type(exc.storage_error).__name__}")
