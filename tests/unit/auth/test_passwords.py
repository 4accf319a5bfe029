"""Client secrets: argon2id hashing and constant-work verification."""

from __future__ import annotations

import argon2

from apps.auth_service.passwords import SecretVerifier, hash_secret
from apps.auth_service.settings import Argon2Settings

CHEAP = Argon2Settings(time_cost=1, memory_cost_kib=8, parallelism=1)


def test_hash_secret__makes_argon2id_hash_with_configured_costs():
    stored = hash_secret("s3cret", CHEAP)
    params = argon2.extract_parameters(stored)
    assert params.type is argon2.Type.ID
    assert (params.time_cost, params.memory_cost, params.parallelism) == (1, 8, 1)
    assert "s3cret" not in stored


def test_verifier__accepts_only_the_right_secret():
    stored = hash_secret("s3cret", CHEAP)
    verifier = SecretVerifier(CHEAP)
    assert verifier.verify(stored, "s3cret") is True
    assert verifier.verify(stored, "s3cret ") is False


def test_verifier__unknown_client_is_never_accepted():
    """None (unknown client) spends a decoy verification and returns False."""
    verifier = SecretVerifier(CHEAP)
    assert verifier.verify(None, "") is False
    assert verifier.verify(None, "anything") is False


def test_verifier__corrupt_hash_is_a_mismatch():
    assert SecretVerifier(CHEAP).verify("$argon2id$broken", "s3cret") is False


def test_default_costs_follow_rfc9106_second_recommendation():
    params = Argon2Settings()
    assert (params.time_cost, params.memory_cost_kib, params.parallelism) == (3, 65536, 4)


class RecordingHasher(argon2.PasswordHasher):
    """A real argon2id hasher that records the parameters of every hash it verifies."""

    def __init__(self, params: Argon2Settings) -> None:
        super().__init__(
            time_cost=params.time_cost,
            memory_cost=params.memory_cost_kib,
            parallelism=params.parallelism,
            type=argon2.Type.ID,
        )
        self.verified: list[tuple[int, int, int]] = []

    def verify(self, hash, password):
        found = argon2.extract_parameters(hash)
        self.verified.append((found.time_cost, found.memory_cost, found.parallelism))
        return super().verify(hash, password)


OTHER = Argon2Settings(time_cost=2, memory_cost_kib=16, parallelism=1)
CONFIGURED = (CHEAP.time_cost, CHEAP.memory_cost_kib, CHEAP.parallelism)


def test_verifier__every_check_is_one_verification_at_the_configured_costs():
    """Known, unknown and other-cost hashes all cost the same: the response time cannot tell."""
    hasher = RecordingHasher(CHEAP)
    verifier = SecretVerifier(CHEAP, hasher=hasher)
    verifier.verify(hash_secret("s3cret", CHEAP), "s3cret")
    verifier.verify(hash_secret("s3cret", CHEAP), "wrong")
    verifier.verify(None, "s3cret")
    verifier.verify(hash_secret("s3cret", OTHER), "s3cret")
    assert hasher.verified == [CONFIGURED] * 4


def test_verifier__hash_of_other_costs_is_never_accepted():
    """Verifying it would take another time than the decoy of an unknown client."""
    verifier = SecretVerifier(CHEAP)
    stored = hash_secret("s3cret", OTHER)
    assert verifier.uses_configured_costs(stored) is False
    assert verifier.verify(stored, "s3cret") is False
    assert verifier.uses_configured_costs(hash_secret("s3cret", CHEAP)) is True
