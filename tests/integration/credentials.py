"""Keys and client credentials for the integration stack, and the token service's TOML.

Signing keys are Ed25519 PEM files written with mode 600 (the token service
refuses anything looser). Most clients authenticate with ``private_key_jwt``:
each has its own Ed25519 key pair, the public half registered in the config.
``BasicCredentials`` clients use ``client_secret_basic``, their secrets
hashed with the config's (cheapest) argon2id costs.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import argon2
import jwt
from cryptography.hazmat.primitives.asymmetric import ed25519

from apps.auth_service.client_auth import JWT_BEARER
from apps.auth_service.keys import SigningKey
from tests.utils.client_assertion import assertion_claims
from tests.utils.keys import pem_public, write_private_key

SCOPES = ("projects:read", "projects:write")
#: The [argon2] costs of the stack's config; every secret hash must have them.
ARGON2_COSTS = {"time_cost": 1, "memory_cost_kib": 8, "parallelism": 1}
#: Failed authentications one client id may make per minute in the stack. All
#: requests come from 127.0.0.1, so the per-address budget is set far above
#: what the whole layer sends.
FAILURES_PER_CLIENT = 4


def write_signing_key(path: Path) -> str:
    """Write a new Ed25519 private key to ``path`` (mode 600); return its kid."""
    key = ed25519.Ed25519PrivateKey.generate()
    write_private_key(path, key)
    return SigningKey.from_private_key(key).kid


@dataclass
class SigningKeys:
    """The token service's key files: one active, one upcoming, and the retired ones."""

    directory: Path
    active: Path
    active_kid: str
    upcoming: Path
    upcoming_kid: str
    retired: list[tuple[Path, datetime]] = field(default_factory=list)
    _count: int = 0

    @classmethod
    def create(cls, directory: Path) -> SigningKeys:
        active, upcoming = directory / "signing-0.pem", directory / "signing-1.pem"
        return cls(directory, active, write_signing_key(active), upcoming,
                   write_signing_key(upcoming), _count=2)  # fmt: skip

    def rotate(self, now: datetime, *, announced: bool = True) -> None:
        """Retire the active key and sign with another from ``now``.

        Announced (the documented procedure): the upcoming key, published in
        advance, becomes active and a new upcoming key is made. Unannounced (an
        emergency, e.g. a leaked key): a brand-new key that no JWKS has shown
        yet becomes active; verifiers only learn of it on first use.
        """
        self.retired.append((self.active, now))
        if announced:
            self.active, self.active_kid = self.upcoming, self.upcoming_kid
            self.upcoming = self.directory / f"signing-{self._count}.pem"
            self.upcoming_kid = write_signing_key(self.upcoming)
        else:
            self.active = self.directory / f"signing-{self._count}.pem"
            self.active_kid = write_signing_key(self.active)
        self._count += 1


@dataclass(frozen=True)
class ClientCredentials:
    """A ``private_key_jwt`` client of the token service."""

    client_id: str
    tenant: str
    private_key: ed25519.Ed25519PrivateKey = field(repr=False)
    scopes: tuple[str, ...] = SCOPES

    @classmethod
    def generate(cls, client_id: str, tenant: str) -> ClientCredentials:
        return cls(client_id, tenant, ed25519.Ed25519PrivateKey.generate())

    def public_pem(self) -> str:
        return pem_public(self.private_key)

    def assertion(self, token_endpoint: str, *, lifetime: int = 120) -> str:
        """A fresh RFC 7523 client assertion (new ``jti``) for the token endpoint."""
        claims = assertion_claims(self.client_id, token_endpoint, int(time.time()), lifetime)
        return jwt.encode(claims, self.private_key, algorithm="EdDSA")

    def token_form(self, assertion: str, scopes: Iterable[str] | None = None) -> dict[str, str]:
        """The form of a client-credentials token request authenticated by ``assertion``."""
        return {
            "grant_type": "client_credentials",
            "scope": " ".join(self.scopes if scopes is None else scopes),
            "client_assertion_type": JWT_BEARER,
            "client_assertion": assertion,
        }


@dataclass(frozen=True)
class BasicCredentials:
    """A ``client_secret_basic`` client of the token service."""

    client_id: str
    tenant: str
    secret: str = field(repr=False)
    scopes: tuple[str, ...] = SCOPES

    @classmethod
    def generate(cls, client_id: str, tenant: str) -> BasicCredentials:
        return cls(client_id, tenant, secrets.token_urlsafe(24))

    def secret_hash(self) -> str:
        hasher = argon2.PasswordHasher(
            time_cost=ARGON2_COSTS["time_cost"],
            memory_cost=ARGON2_COSTS["memory_cost_kib"],
            parallelism=ARGON2_COSTS["parallelism"],
        )
        return hasher.hash(self.secret)


def _toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def render_auth_config(
    *,
    issuer: str,
    token_endpoint: str,
    audience: str,
    redis_url: str,
    keys: SigningKeys,
    clients: Iterable[ClientCredentials],
    basic_clients: Iterable[BasicCredentials] = (),
) -> str:
    """The token service's TOML configuration (see apps/auth_service/README.md)."""
    lines = [
        f"issuer = {_toml_string(issuer)}",
        f"token_endpoint = {_toml_string(token_endpoint)}",
        f"access_token_audience = {_toml_string(audience)}",
        "token_lifetime_seconds = 600",
        "assertion_max_lifetime_seconds = 300",
        "clock_leeway_seconds = 5",
        "jwks_max_age_seconds = 0",
        f"replay_cache_url = {_toml_string(redis_url)}",
        "",
        "[keys]",
        f"active = {_toml_string(str(keys.active))}",
        f"upcoming = [{_toml_string(str(keys.upcoming))}]",
    ]
    for path, retired_at in keys.retired:
        lines += [
            "[[keys.retired]]",
            f"path = {_toml_string(str(path))}",
            f"retired_at = {retired_at.isoformat()}",
        ]
    # The cheapest argon2 costs: the suite measures behaviour, not the KDF.
    lines += ["", "[argon2]", *(f"{name} = {value}" for name, value in ARGON2_COSTS.items())]
    lines += [
        "",
        "[throttle]",
        f'failures_per_client = "{FAILURES_PER_CLIENT}/minute"',
        'failures_per_address = "10000/minute"',
    ]
    for basic in basic_clients:
        secret = f"secret_hash = {_toml_string(basic.secret_hash())}"
        lines += _client_table(basic, "client_secret_basic", secret)
    for client in clients:
        public_key = f"public_key_pem = {_toml_string(client.public_pem())}"
        lines += _client_table(client, "private_key_jwt", public_key)
    return "\n".join(lines) + "\n"


def _client_table(
    client: BasicCredentials | ClientCredentials, auth_method: str, credential: str
) -> list[str]:
    """A ``[[clients]]`` table: the client's names and scopes, how it authenticates, and
    the ``credential`` line that method reads."""
    scopes = ", ".join(_toml_string(scope) for scope in client.scopes)
    return [
        "",
        "[[clients]]",
        f"client_id = {_toml_string(client.client_id)}",
        f"tenant = {_toml_string(client.tenant)}",
        f"allowed_scopes = [{scopes}]",
        f"auth_method = {_toml_string(auth_method)}",
        credential,
    ]
