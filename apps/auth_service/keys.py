"""Signing keys: load PEM files safely, name them by thumbprint, publish a JWKS.

Each key's ``kid`` is its RFC 7638 JWK thumbprint, so the same key always has
the same id and a verifier can match tokens to keys without coordination.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from apps.auth_service.settings import KeySettings
from apps.kernel.jwk import PrivateKey, key_algorithm, public_jwk, thumbprint

_MAX_KEY_FILE_BYTES = 16_384


class KeyFileError(ValueError):
    """A signing key file is unreadable, malformed, unsupported or too widely readable."""


@dataclass(frozen=True)
class SigningKey:
    """A private key with its algorithm, thumbprint ``kid`` and retirement time."""

    kid: str
    alg: str
    private_key: PrivateKey = field(repr=False)
    jwk: dict[str, str] = field(repr=False)
    retired_at: datetime | None = None

    @classmethod
    def from_private_key(cls, key: PrivateKey, retired_at: datetime | None = None) -> SigningKey:
        """The signing key of ``key``; ``KeyFileError`` unless it is Ed25519 or P-256."""
        alg = key_algorithm(key)
        if alg is None:
            raise KeyFileError("a signing key must be Ed25519 or P-256 (ES256)")
        jwk = public_jwk(key)
        return cls(thumbprint(jwk), alg, key, jwk, retired_at)

    def published_jwk(self) -> dict[str, str]:
        return {**self.jwk, "kid": self.kid, "alg": self.alg, "use": "sig"}


@dataclass(frozen=True)
class KeySet:
    """The active signing key plus keys that are only published (retired or upcoming)."""

    active: SigningKey
    retired: tuple[SigningKey, ...] = ()
    upcoming: tuple[SigningKey, ...] = ()

    def jwks(self, now: float, token_lifetime: int, leeway: int) -> dict[str, Any]:
        """Public keys a verifier may need at ``now``.

        A retired key stays published until the last token it could have signed
        (issued just before retirement) has expired, plus the clock leeway.
        """
        keys = [self.active, *self.upcoming]
        keys += [
            key
            for key in self.retired
            if key.retired_at is not None
            and now < key.retired_at.timestamp() + token_lifetime + leeway
        ]
        unique = {key.kid: key for key in keys}
        return {"keys": [key.published_jwk() for key in unique.values()]}


KeyLoader = Callable[[KeySettings], KeySet]


def read_private_key(path: Path) -> PrivateKey:
    """Read an Ed25519 or P-256 PEM private key that only its owner can read.

    Raises ``KeyFileError`` naming the file; the message never includes key bytes.
    """
    try:
        # The service runs on POSIX (gunicorn): a symlink is refused, not followed.
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        raise KeyFileError(f"key file {path}: cannot be read ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise KeyFileError(f"key file {path}: is not a regular file")
        if info.st_mode & 0o077:
            raise KeyFileError(
                f"key file {path}: is accessible by group or others "
                f"(mode {stat.S_IMODE(info.st_mode):04o}); run chmod 600 on it"
            )
        if info.st_size > _MAX_KEY_FILE_BYTES:
            raise KeyFileError(f"key file {path}: is too large to be a PEM private key")
        # One read of a regular file returns all of it; the limit also bounds a
        # file that grew since fstat (a truncated PEM is then refused below).
        data = os.read(fd, _MAX_KEY_FILE_BYTES)
    finally:
        os.close(fd)
    try:
        key = load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        # The library's message may quote the input; keep only our own words.
        raise KeyFileError(f"key file {path}: is not an unencrypted PEM private key") from None
    if isinstance(key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey) and key_algorithm(
        key
    ):
        return key
    raise KeyFileError(f"key file {path}: must be an Ed25519 or P-256 (ES256) key")


def load_key_set(settings: KeySettings) -> KeySet:
    """Load every configured key file; raise ``KeyFileError`` for the first bad one."""
    return KeySet(
        active=SigningKey.from_private_key(read_private_key(settings.active)),
        retired=tuple(
            SigningKey.from_private_key(read_private_key(item.path), item.retired_at)
            for item in settings.retired
        ),
        upcoming=tuple(
            SigningKey.from_private_key(read_private_key(path)) for path in settings.upcoming
        ),
    )
