"""Registered clients: their record, their public keys and where records come from.

A record is parsed from a TOML table (the config file) or a JSON object (the
directory service) by the same ``parse_client`` so both sources obey the same
rules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import argon2
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from apps.auth_service._fields import Reader
from apps.kernel.jose import ED25519, ED25519_ALGORITHMS, EDDSA

AuthMethod = Literal["client_secret_basic", "private_key_jwt"]
AUTH_METHODS: tuple[AuthMethod, ...] = ("client_secret_basic", "private_key_jwt")
#: Only asymmetric algorithms; never ``none`` and never an HMAC family. ``Ed25519``
#: (RFC 9864) and the deprecated ``EdDSA`` both name signatures by an Ed25519 key.
ASSERTION_ALGORITHMS = (ED25519, EDDSA, "ES256")

CLIENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:~-]{0,127}")
TENANT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
#: RFC 6749 scope-token: printable ASCII except space, '"' and '\'.
SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]{1,128}")

PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey


@dataclass(frozen=True)
class ClientKey:
    """One public key a client signs its assertions with.

    ``alg`` names the key's family: ``EdDSA`` for Ed25519 keys (which verify
    ``Ed25519`` and ``EdDSA`` assertions), ``ES256`` for P-256 keys.
    """

    alg: str
    key: PublicKey
    kid: str | None = None

    def verifies(self, alg: str) -> bool:
        """Whether an assertion whose header names ``alg`` may be checked with this key."""
        return alg in ED25519_ALGORITHMS if self.alg == EDDSA else alg == self.alg


@dataclass(frozen=True)
class ClientRecord:
    """A registered client and how it authenticates."""

    client_id: str
    tenant: str
    allowed_scopes: tuple[str, ...]
    auth_method: AuthMethod
    secret_hash: str | None = field(default=None, repr=False)
    keys: tuple[ClientKey, ...] = ()


class ClientRegistry(Protocol):
    """Looks clients up by id; ``None`` means the client is unknown."""

    def get(self, client_id: str) -> ClientRecord | None: ...


class StaticClientRegistry:
    """Clients listed in the configuration file."""

    def __init__(self, clients: Mapping[str, ClientRecord]) -> None:
        self._clients = dict(clients)

    def get(self, client_id: str) -> ClientRecord | None:
        return self._clients.get(client_id)


def algorithm_for(key: object) -> str | None:
    """The only JWS algorithm a public key may verify, or ``None`` if unsupported."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "EdDSA"
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return "ES256"
    return None


def parse_pem_public_key(pem: str) -> ClientKey:
    """Parse a PEM public key; raises ``ValueError`` for anything but Ed25519 or P-256."""
    try:
        key = load_pem_public_key(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise ValueError("is not a PEM public key") from exc
    alg = algorithm_for(key)
    if alg is None:
        raise ValueError("must be an Ed25519 or P-256 public key")
    return ClientKey(alg=alg, key=key)  # type: ignore[arg-type]


def parse_jwk(jwk: object) -> ClientKey:
    """Parse one public JWK; refuses private members, symmetric and unsupported keys."""
    if not isinstance(jwk, Mapping):
        raise ValueError("each key must be an object")
    if "d" in jwk or jwk.get("kty") not in ("OKP", "EC"):
        raise ValueError("each key must be a public OKP (Ed25519) or EC (P-256) key")
    kid = jwk.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise ValueError("kid must be a string")
    try:
        # "alg" is checked against the key type below, not trusted to pick the parser.
        key = jwt.PyJWK({k: v for k, v in jwk.items() if k != "alg"}).key
    except (jwt.PyJWTError, ValueError, TypeError, KeyError) as exc:
        raise ValueError("a key is malformed") from exc
    alg = algorithm_for(key)
    declared = jwk.get("alg", alg)
    if alg is None or not ClientKey(alg, key).verifies(declared):
        raise ValueError("each key must be Ed25519 (Ed25519/EdDSA) or P-256 (ES256)")
    return ClientKey(alg=alg, key=key, kid=kid)


def parse_jwks(jwks: object) -> tuple[ClientKey, ...]:
    """Parse a JWK Set given as a table/object or as its JSON text."""
    if isinstance(jwks, str):
        try:
            jwks = json.loads(jwks)
        except ValueError as exc:
            raise ValueError("is not valid JSON") from exc
    keys = jwks.get("keys") if isinstance(jwks, Mapping) else None
    if not isinstance(keys, list) or not keys:
        raise ValueError('must be a JWK Set with a non-empty "keys" array')
    return tuple(parse_jwk(jwk) for jwk in keys)


_CLIENT_FIELDS = {
    "client_id",
    "tenant",
    "allowed_scopes",
    "auth_method",
    "secret_hash",
    "public_key_pem",
    "jwks",
}


def parse_client(table: Mapping[str, Any], prefix: str, problems: list[str]) -> ClientRecord | None:
    """Validate one client table; append problems and return ``None`` if invalid."""
    start = len(problems)
    reader = Reader(table, prefix, problems)
    reader.reject_unknown(_CLIENT_FIELDS)
    client_id = reader.string("client_id", pattern=CLIENT_ID)
    tenant = reader.string("tenant", pattern=TENANT)
    scopes = reader.list_of_strings("allowed_scopes", pattern=SCOPE_TOKEN)
    method = reader.string("auth_method")
    secret_hash: str | None = None
    keys: tuple[ClientKey, ...] = ()
    if method == "client_secret_basic":
        secret_hash = _read_secret_hash(reader)
        if "public_key_pem" in table or "jwks" in table:
            reader.fail("auth_method", "client_secret_basic clients take no public key")
    elif method == "private_key_jwt":
        keys = _read_public_keys(reader)
        if "secret_hash" in table:
            reader.fail("secret_hash", "private_key_jwt clients take no secret")
    elif method is not None:
        reader.fail("auth_method", f"must be one of {', '.join(AUTH_METHODS)}")
    if len(problems) > start:
        return None
    return ClientRecord(
        client_id=client_id,  # type: ignore[arg-type]
        tenant=tenant,  # type: ignore[arg-type]
        allowed_scopes=scopes,  # type: ignore[arg-type]
        auth_method=method,  # type: ignore[arg-type]
        secret_hash=secret_hash,
        keys=keys,
    )


def _read_secret_hash(reader: Reader) -> str | None:
    value = reader.string("secret_hash")
    if value is None:
        return None
    try:
        params = argon2.extract_parameters(value)
    except argon2.exceptions.InvalidHashError:
        params = None
    if params is None or params.type is not argon2.Type.ID:
        reader.fail("secret_hash", "must be an argon2id hash (PHC string format)")
        return None
    return value


def _read_public_keys(reader: Reader) -> tuple[ClientKey, ...]:
    pem, jwks = reader.table.get("public_key_pem"), reader.table.get("jwks")
    if (pem is None) == (jwks is None):
        reader.fail("public_key_pem", "give exactly one of public_key_pem or jwks")
        return ()
    try:
        if pem is not None:
            if not isinstance(pem, str):
                raise ValueError("must be a string")
            return (parse_pem_public_key(pem),)
        return parse_jwks(jwks)
    except ValueError as exc:
        reader.fail("public_key_pem" if pem is not None else "jwks", str(exc))
        return ()
