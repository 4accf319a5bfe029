"""Client secrets: argon2id hashes, verified in constant work.

Every check runs exactly one argon2id verification, always with the
configured ``[argon2]`` costs: against the stored hash when it has those
costs, else against a decoy hash nobody knows the secret of (unknown client,
client of another method, or a stored hash of other costs, which is never
accepted). Whether a client exists, and how its hash was made, therefore does
not show in the response time.
"""

from __future__ import annotations

import secrets

import argon2

from apps.auth_service.settings import Argon2Settings


def make_hasher(params: Argon2Settings) -> argon2.PasswordHasher:
    """An argon2id hasher with the configured costs."""
    return argon2.PasswordHasher(
        time_cost=params.time_cost,
        memory_cost=params.memory_cost_kib,
        parallelism=params.parallelism,
        # argon2-cffi's default type too: stated so that no change of default weakens the hashes.
        type=argon2.Type.ID,
    )


def hash_secret(secret: str, params: Argon2Settings) -> str:
    """The PHC-format argon2id hash to store as a client's ``secret_hash``."""
    return make_hasher(params).hash(secret)


class SecretVerifier:
    """Checks a presented secret against a stored argon2id hash."""

    def __init__(
        self, params: Argon2Settings, *, hasher: argon2.PasswordHasher | None = None
    ) -> None:
        self._params = params
        self._hasher = hasher if hasher is not None else make_hasher(params)
        # A hash nobody knows the secret of, with the configured costs.
        self._decoy = make_hasher(params).hash(secrets.token_urlsafe())

    def uses_configured_costs(self, secret_hash: str) -> bool:
        """True if verifying ``secret_hash`` costs exactly what the decoy costs."""
        return Argon2Settings.of_hash(secret_hash) == self._params

    def verify(self, secret_hash: str | None, secret: str) -> bool:
        """True only if ``secret_hash`` has the configured costs and matches.

        ``None`` (no usable hash) and hashes of other costs spend one decoy
        verification instead and return False.
        """
        usable = secret_hash is not None and self.uses_configured_costs(secret_hash)
        try:
            self._hasher.verify(secret_hash if usable and secret_hash else self._decoy, secret)
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False
        return usable
