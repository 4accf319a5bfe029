"""Key material for tests: PEM encodings, private key files, base64url.

    path = write_private_key(tmp_path / "active.pem", Ed25519PrivateKey.generate())

Key files are written with mode 600 unless told otherwise, whatever the umask:
the token service refuses a key that group or others can read.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes


def pem_private(key: PrivateKeyTypes) -> bytes:
    """The unencrypted PKCS#8 PEM of a private key."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def pem_public(key: PrivateKeyTypes) -> str:
    """The SubjectPublicKeyInfo PEM of a private key's public half."""
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return public.decode("ascii")


def write_private_key(path: Path, key: PrivateKeyTypes, *, mode: int = 0o600) -> Path:
    """Write ``key`` as PEM to ``path`` with ``mode``; the file is never wider while written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem_private(key))
    path.chmod(mode)
    return path


def b64url(data: bytes) -> str:
    """Unpadded base64url (RFC 7515), as in JWS and JWK members."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
