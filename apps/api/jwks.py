"""Verification keys for access tokens: a static key set and a cached JWKS fetcher.

:class:`KeySource` is what the token verifier asks for a key by ``kid``.

* :class:`StaticKeySet` holds a fixed set of keys (pinned keys, tests).
* :class:`JwksKeySet` fetches the token service's JWKS through an injected
  ``httpx.Client`` and caches it for ``cache_ttl`` seconds. A token signed with
  a ``kid`` the cache does not know triggers a refetch, at most one per
  ``refetch_cooldown`` seconds, so a rotated key is picked up without a restart
  while a flood of tokens with made-up ``kid`` values cannot flood the token
  service. If a refresh fails, the keys fetched before stay in use (the token
  service being briefly down must not lock every client out); with no keys at
  all, every token is rejected (auth fails closed).

Only asymmetric signing keys are accepted: Ed25519 (``EdDSA``, also named
``Ed25519`` since RFC 9864) and P-256 (``ES256``), parsed by the services'
one JWK parser (:mod:`apps.kernel.jwk`). Each key is bound to its kind's
algorithm, so a token cannot pick a different algorithm for a known key.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import httpx
import structlog

from apps.api.metrics import ApiMetrics
from apps.kernel.clock import Clock
from apps.kernel.jwk import JwkError, PublicKey, parse_public_jwk

#: Request headers of a JWKS fetch (field names are case-insensitive, RFC 9110 5.1).
_ACCEPT_JSON = {"Accept": "application/json"}


class JwksError(ValueError):
    """A JWKS document is not a JSON object with a ``keys`` list."""


@dataclass(frozen=True)
class VerificationKey:
    """A public key, its key id and the algorithm it verifies."""

    kid: str
    algorithm: str
    key: PublicKey


class KeySource(Protocol):
    """Where the token verifier gets public keys."""

    def get_key(self, kid: str) -> VerificationKey | None:
        """The key with this id, or None if it is not (or cannot be) known."""
        ...

    def ensure_loaded(self) -> bool:
        """Load keys if needed; True when at least one key is available."""
        ...


def parse_jwk(jwk: object) -> VerificationKey | None:
    """A verification key from one JWK of the token service, or None if it is unusable.

    A key without ``kid`` cannot be matched to a token; a key published with
    its private part by mistake is still only used to verify.
    """
    try:
        parsed = parse_public_jwk(jwk, drop_private_members=True)
    except JwkError:
        return None
    if not parsed.kid:
        return None
    return VerificationKey(kid=parsed.kid, algorithm=parsed.algorithm, key=parsed.key)


def parse_jwks(document: object) -> dict[str, VerificationKey]:
    """The usable keys of a JWKS document by kid; unusable entries are skipped."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JwksError("a JWKS must be a JSON object with a 'keys' list")
    keys: dict[str, VerificationKey] = {}
    for entry in document["keys"]:
        if (key := parse_jwk(entry)) is not None:
            keys[key.kid] = key
    return keys


class StaticKeySet:
    """A fixed set of verification keys."""

    def __init__(self, keys: Iterable[VerificationKey]) -> None:
        self._keys = {key.kid: key for key in keys}

    @classmethod
    def from_jwks(cls, document: object) -> StaticKeySet:
        return cls(parse_jwks(document).values())

    def get_key(self, kid: str) -> VerificationKey | None:
        return self._keys.get(kid)

    def ensure_loaded(self) -> bool:
        return bool(self._keys)


class JwksKeySet:
    """Keys fetched from a JWKS URL, cached with a TTL and refetched on unknown kids."""

    def __init__(
        self,
        url: str,
        http_client: httpx.Client,
        *,
        clock: Clock,
        cache_ttl: float,
        refetch_cooldown: float,
        timeout: float,
        metrics: ApiMetrics | None = None,
    ) -> None:
        self._url = url
        self._http = http_client
        self._clock = clock
        self._cache_ttl = cache_ttl
        self._cooldown = refetch_cooldown
        self._timeout = httpx.Timeout(timeout)
        self._metrics = metrics if metrics is not None else ApiMetrics.create()
        self._logger = structlog.get_logger(__name__)
        self._lock = threading.Lock()
        self._keys: dict[str, VerificationKey] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None

    def get_key(self, kid: str) -> VerificationKey | None:
        with self._lock:
            now = self._clock()
            if self._is_stale(now):
                self._refresh(now)
            key = self._keys.get(kid)
            if key is None and self._refetch_allowed(now):
                # Possibly a rotated key the cache has not seen yet.
                self._refresh(now)
                key = self._keys.get(kid)
            return key

    def ensure_loaded(self) -> bool:
        with self._lock:
            now = self._clock()
            if self._is_stale(now):
                self._refresh(now)
            return bool(self._keys)

    def _is_stale(self, now: float) -> bool:
        fresh = self._fetched_at is not None and now - self._fetched_at < self._cache_ttl
        return not fresh and self._refetch_allowed(now)

    def _refetch_allowed(self, now: float) -> bool:
        return self._attempted_at is None or now - self._attempted_at >= self._cooldown

    def _refresh(self, now: float) -> None:
        self._attempted_at = now
        try:
            response = self._http.get(self._url, timeout=self._timeout, headers=_ACCEPT_JSON)
            response.raise_for_status()
            keys = parse_jwks(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            self._metrics.jwks_fetches.labels(outcome="error").inc()
            self._logger.warning(
                "jwks.fetch_failed",
                url=self._url,
                error_type=type(exc).__name__,
                error=str(exc),
                cached_keys=len(self._keys),
            )
            return
        self._metrics.jwks_fetches.labels(outcome="ok").inc()
        self._keys = keys
        self._fetched_at = now
        self._logger.info("jwks.fetched", url=self._url, keys=len(keys))
