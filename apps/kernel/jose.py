"""JWS verification that knows RFC 9864's fully specified ``Ed25519`` identifier.

RFC 9864 (2025) deprecates the polymorphic ``EdDSA`` identifier, which names
Ed25519 and Ed448 alike, in favour of ``Ed25519`` and ``Ed448``. PyJWT (2.15)
knows only ``EdDSA``, so :func:`jws_codec` returns a private ``PyJWS`` with
``Ed25519`` registered as well, restricted to Ed25519 keys. Nothing global is
changed: ``jwt.decode`` elsewhere in the process is unaffected.
"""

from __future__ import annotations

from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm

ED25519 = "Ed25519"
EDDSA = "EdDSA"
#: JWS identifiers an Ed25519 key may verify: the RFC 9864 name and the deprecated one.
ED25519_ALGORITHMS = frozenset({ED25519, EDDSA})


class Ed25519Algorithm(OKPAlgorithm):
    """``Ed25519`` (RFC 9864): EdDSA over Ed25519 keys only, never Ed448."""

    def prepare_key(self, key: Any) -> Any:
        prepared = super().prepare_key(key)
        if not isinstance(prepared, Ed25519PrivateKey | Ed25519PublicKey):
            raise jwt.InvalidKeyError("the Ed25519 algorithm needs an Ed25519 key")
        return prepared


def jws_codec() -> jwt.PyJWS:
    """A ``PyJWS`` that verifies ``Ed25519`` as well as PyJWT's own algorithms."""
    codec = jwt.PyJWS()
    if ED25519 not in codec.get_algorithms():  # a later PyJWT may know it already
        codec.register_algorithm(ED25519, Ed25519Algorithm())
    return codec
