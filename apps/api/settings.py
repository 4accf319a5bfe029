"""Typed settings of the API, parsed from an explicit environment mapping.

Every variable is named ``API_*``. :meth:`Settings.from_environ` validates all of
them and raises one :class:`SettingsError` that lists every missing or invalid
variable, so a misconfigured deployment is fixed in one round trip.

========================================  ==============================  ==========
variable                                  meaning                         default
========================================  ==============================  ==========
``API_JWKS_URL``                          https URL of the token          required
                                          service's JWKS (plain http
                                          only for loopback hosts)
``API_ISSUER``                            expected ``iss`` claim          required
``API_AUDIENCE``                          expected ``aud`` value          required
``API_DATABASE_PATH``                     SQLite file                     ``api.sqlite3``
``API_RATE_LIMIT``                        per (tenant, client) limit      ``100/minute``
``API_RATE_LIMIT_STORAGE_URL``            ``memory://`` or ``redis://``   ``memory://``
``API_ALLOW_PER_PROCESS_STORAGE``         ``true`` lets ``memory://``      ``false``
                                          run in several workers
``API_MAX_BODY_BYTES``                    largest accepted request body   ``65536``
``API_TOKEN_LEEWAY_SECONDS``              clock skew allowed on exp/nbf   ``30``
``API_JWKS_CACHE_TTL_SECONDS``            how long fetched keys are used  ``300``
``API_JWKS_REFETCH_COOLDOWN_SECONDS``     minimum gap between refetches   ``30``
                                          caused by unknown key ids
``API_JWKS_TIMEOUT_SECONDS``              HTTP timeout of a JWKS fetch    ``5``
========================================  ==============================  ==========
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from limits import parse as parse_rate_limit

PREFIX = "API_"
RATE_LIMIT_STORAGE_SCHEMES = frozenset({"memory", "redis", "rediss", "redis+unix"})
#: Hosts whose traffic never leaves the machine, so plain http cannot be tampered with.
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

T = TypeVar("T")


class SettingsError(ValueError):
    """One or more ``API_*`` variables are missing or invalid."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid API settings: " + "; ".join(self.problems))


@dataclass(frozen=True)
class Settings:
    """Everything the API reads from its environment."""

    jwks_url: str
    issuer: str
    audience: str
    database_path: Path = Path("api.sqlite3")
    rate_limit: str = "100/minute"
    # A Redis URL may carry a password: keep it out of every repr.
    rate_limit_storage_url: str = field(default="memory://", repr=False)
    allow_per_process_storage: bool = False
    max_body_bytes: int = 65536
    token_leeway_seconds: int = 30
    jwks_cache_ttl_seconds: float = 300.0
    jwks_refetch_cooldown_seconds: float = 30.0
    jwks_timeout_seconds: float = 5.0

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Parse ``API_*`` variables; raise one :class:`SettingsError` naming every problem."""
        problems: list[str] = []

        def read(name: str, parse: Callable[[str], T], default: T | None = None) -> T | None:
            key = PREFIX + name
            raw = environ.get(key)
            if raw is None or raw.strip() == "":
                if default is None:
                    problems.append(f"{key} is required")
                return default
            try:
                return parse(raw.strip())
            except ValueError as exc:
                problems.append(f"{key} {exc}")
                return None

        jwks_url = read("JWKS_URL", _parse_http_url)
        issuer = read("ISSUER", str)
        audience = read("AUDIENCE", str)
        database_path = read("DATABASE_PATH", Path, cls.database_path)
        rate_limit = read("RATE_LIMIT", _parse_rate_limit, cls.rate_limit)
        storage_url = read("RATE_LIMIT_STORAGE_URL", _parse_storage_url, "memory://")
        allow_local = read("ALLOW_PER_PROCESS_STORAGE", _boolean, "false")
        max_body = read("MAX_BODY_BYTES", _positive_int, cls.max_body_bytes)
        leeway = read("TOKEN_LEEWAY_SECONDS", _leeway, cls.token_leeway_seconds)
        ttl = read("JWKS_CACHE_TTL_SECONDS", _positive_float, cls.jwks_cache_ttl_seconds)
        cooldown = read(
            "JWKS_REFETCH_COOLDOWN_SECONDS", _positive_float, cls.jwks_refetch_cooldown_seconds
        )
        timeout = read("JWKS_TIMEOUT_SECONDS", _positive_float, cls.jwks_timeout_seconds)

        if problems:
            raise SettingsError(problems)
        # Every value below is set: a None would have added a problem above.
        return cls(
            jwks_url=_present(jwks_url),
            issuer=_present(issuer),
            audience=_present(audience),
            database_path=_present(database_path),
            rate_limit=_present(rate_limit),
            rate_limit_storage_url=_present(storage_url),
            allow_per_process_storage=allow_local == "true",
            max_body_bytes=_present(max_body),
            token_leeway_seconds=_present(leeway),
            jwks_cache_ttl_seconds=_present(ttl),
            jwks_refetch_cooldown_seconds=_present(cooldown),
            jwks_timeout_seconds=_present(timeout),
        )


def _present(value: T | None) -> T:
    if value is None:  # pragma: no cover - from_environ raises before this
        raise SettingsError(["internal: a parsed setting is missing"])
    return value


def _parse_http_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        # The keys decide which tokens are genuine: fetched in clear text from
        # another host, anyone on the path could substitute their own.
        raise ValueError("must use https (plain http only for loopback hosts)")
    return raw


def _parse_rate_limit(raw: str) -> str:
    try:
        parse_rate_limit(raw)
    except ValueError:
        raise ValueError("must look like '100/minute' or '10 per second'") from None
    return raw


def _parse_storage_url(raw: str) -> str:
    scheme = urlsplit(raw).scheme
    if scheme not in RATE_LIMIT_STORAGE_SCHEMES:
        # The value itself is not echoed: it may contain a password.
        allowed = ", ".join(sorted(RATE_LIMIT_STORAGE_SCHEMES))
        raise ValueError(f"must use one of the schemes {allowed}")
    return raw


def _boolean(raw: str) -> str:
    if raw.lower() not in {"true", "false"}:
        raise ValueError(f"must be true or false, got {raw!r}")
    return raw.lower()


def _positive_int(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"must be a positive integer, got {raw!r}") from None
    if value <= 0:
        raise ValueError(f"must be a positive integer, got {raw!r}")
    return value


def _leeway(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"must be an integer from 0 to 300, got {raw!r}") from None
    if not 0 <= value <= 300:
        raise ValueError(f"must be an integer from 0 to 300, got {raw!r}")
    return value


def _positive_float(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"must be a positive number, got {raw!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"must be a positive number, got {raw!r}")
    return value
