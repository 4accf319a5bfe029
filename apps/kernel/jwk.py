"""Public keys as JWKs: parsing, the key -> algorithm binding, RFC 7638 thumbprints.

Both services accept the same two kinds of signing key and bind each to one
JWS algorithm, so a token or assertion cannot choose another algorithm for a
known key:

========================  ================  =========================================
key                       JWK (kty, crv)    header ``alg`` it may verify
========================  ================  =========================================
Ed25519                   OKP, Ed25519      ``Ed25519`` (RFC 9864) and ``EdDSA``
P-256                     EC, P-256         ``ES256``
========================  ================  =========================================

:func:`parse_public_jwk` is the one JWK parser: the API reads the token
service's JWKS with it, the token service its clients' registered keys.
Symmetric (``oct``), RSA and other curves are refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from jwt.algorithms import ECAlgorithm, OKPAlgorithm
from jwt.exceptions import InvalidKeyError
from jwt.utils import base64url_encode

from apps.kernel.jose import ED25519_ALGORITHMS, EDDSA

ES256 = "ES256"
PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey
PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey

#: JWK (kty, crv) -> the algorithm family of such a key.
KEY_KINDS: Mapping[tuple[str, str], str] = {("OKP", "Ed25519"): EDDSA, ("EC", "P-256"): ES256}
#: The members RFC 7638 hashes, by key type.
_THUMBPRINT_MEMBERS = {"OKP": ("crv", "kty", "x"), "EC": ("crv", "kty", "x", "y")}
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_KINDS_TEXT = "Ed25519 (OKP) or P-256 (EC)"


class JwkError(ValueError):
    """A JWK is not a usable public signing key; the message says why, never the key."""


@dataclass(frozen=True)
class Jwk:
    """A parsed public key, its optional ``kid`` and its algorithm family."""

    algorithm: str
    key: PublicKey
    kid: str | None = None

    def verifies(self, header_algorithm: object) -> bool:
        """Whether a signature whose header names this algorithm may be checked with the key."""
        return algorithm_allowed(self.algorithm, header_algorithm)


def key_algorithm(key: object) -> str | None:
    """The algorithm family of a public or private key: ``EdDSA``, ``ES256`` or None."""
    if isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey):
        return EDDSA
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey) and isinstance(
        key.curve, ec.SECP256R1
    ):
        return ES256
    return None


def algorithm_allowed(key_family: str, header_algorithm: object) -> bool:
    """Whether a key of ``key_family`` may verify a header naming ``header_algorithm``."""
    if key_family == EDDSA:
        return header_algorithm in ED25519_ALGORITHMS
    return header_algorithm == key_family


def parse_public_jwk(jwk: object, *, drop_private_members: bool = False) -> Jwk:
    """Parse one JWK into a public signing key; raise :class:`JwkError` if unusable.

    A JWK with private members is refused, unless ``drop_private_members``: a
    reader of a published key set then keeps only the public part of a key
    published by mistake. ``use``, when present, must be ``sig``; ``alg``, when
    present, must be one the key verifies.
    """
    if not isinstance(jwk, Mapping):
        raise JwkError("each key must be an object")
    if _PRIVATE_MEMBERS & set(jwk):
        if not drop_private_members:
            raise JwkError("each key must be public (it has private members)")
        jwk = {name: value for name, value in jwk.items() if name not in _PRIVATE_MEMBERS}
    algorithm = KEY_KINDS.get((str(jwk.get("kty")), str(jwk.get("crv"))))
    if algorithm is None:
        raise JwkError(f"each key must be {_KINDS_TEXT}")
    kid = jwk.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise JwkError("kid must be a string")
    if jwk.get("use", "sig") != "sig":
        raise JwkError('each key must be a signing key (use "sig")')
    if "alg" in jwk and not algorithm_allowed(algorithm, jwk["alg"]):
        raise JwkError(f"alg does not fit the key: a {_family_text(algorithm)} key")
    loader = OKPAlgorithm if algorithm == EDDSA else ECAlgorithm
    try:
        # kty and crv were checked above and private members are gone, so this
        # is a public key of exactly the expected kind.
        key = cast(PublicKey, loader.from_jwk(dict(jwk)))
    except (InvalidKeyError, ValueError, TypeError, KeyError):
        raise JwkError("a key is malformed") from None
    return Jwk(algorithm=algorithm, key=key, kid=kid)


def public_jwk(key: PublicKey | PrivateKey) -> dict[str, str]:
    """The RFC 7638 required members of a key's public JWK (never a private part)."""
    public = key.public_key() if isinstance(key, PrivateKey) else key
    if isinstance(public, ed25519.Ed25519PublicKey):
        return {"crv": "Ed25519", "kty": "OKP", "x": _b64url(public.public_bytes_raw())}
    if key_algorithm(public) != ES256:
        raise JwkError(f"only {_KINDS_TEXT} keys are supported")
    # 0x04, then x and y as 32-byte big-endian integers (SEC 1, 2.3.3): the full
    # width RFC 7518 (6.2.1.2) asks for, leading zero bytes included.
    point = public.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return {"crv": "P-256", "kty": "EC", "x": _b64url(point[1:33]), "y": _b64url(point[33:])}


def thumbprint(jwk: Mapping[str, object]) -> str:
    """RFC 7638 thumbprint: SHA-256 of the required members, sorted, no whitespace."""
    try:
        members = {name: jwk[name] for name in _THUMBPRINT_MEMBERS[str(jwk["kty"])]}
    except KeyError:
        raise JwkError(f"only {_KINDS_TEXT} keys have a thumbprint here") from None
    canonical = json.dumps(members, sort_keys=True, separators=(",", ":"))
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def _family_text(algorithm: str) -> str:
    return "Ed25519 (alg Ed25519 or EdDSA)" if algorithm == EDDSA else "P-256 (alg ES256)"


def _b64url(data: bytes) -> str:
    """base64url without padding (RFC 7515, section 2)."""
    return base64url_encode(data).decode()
