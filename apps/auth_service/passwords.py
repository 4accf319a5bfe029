"""Client secrets: argon2id hashes, verified in constant time.

Unknown clients (and clients registered for another method) still cost one
full verification against a decoy hash, so response time does not tell an
attacker which client ids exist.
"""

from __future__ import annotations

import secrets

import argon2

from apps.auth_service.config import Argon2Settings


def make_hasher(params: Argon2Settings) -> argon2.PasswordHasher:
    """An argon2id hasher with the configured costs."""
    return argon2.PasswordHasher(
        time_cost=params.time_cost,
        memory_cost=params.memory_cost_kib,
        parallelism=params.parallelism,
        type=argon2.Type.ID,
    )


def hash_secret(secret: str, params: Argon2Settings) -> str:
    """The PHC-format argon2id hash to store as a client's ``secret_hash``."""
    return make_hasher(params).hash(secret)


class SecretVerifier:
    """Checks a presented secret against a stored argon2id hash."""

    def __init__(self, params: Argon2Settings) -> None:
        self._hasher = make_hasher(params)
        # A hash nobody knows the secret of, with the configured costs.
        self._decoy = self._hasher.hash(secrets.token_urlsafe(32))

    def verify(self, secret_hash: str | None, secret: str) -> bool:
        """True only if ``secret_hash`` is given and matches; ``None`` spends a decoy check."""
        try:
            self._hasher.verify(secret_hash or self._decoy, secret)
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False
        return secret_hash is not None
