"""Builders for the api layer: signing keys, callers with tokens, a clocked limit storage.

Kept out of conftest.py so tests and the benchmark can import them by name.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import ECAlgorithm, OKPAlgorithm

from apps.api.jwks import VerificationKey
from tests.utils.limits_storage import (  # noqa: F401 - re-exported for the api layer
    ClockedMemoryStorage,
    StorageDown,
)

ISSUER = "https://auth.test"
AUDIENCE = "projects-api"
JWKS_URL = "https://auth.test/.well-known/jwks.json"
ALL_SCOPES = "projects:read projects:write"
TOKEN_LIFETIME = 300


def thumbprint(public_jwk: dict[str, Any]) -> str:
    """The RFC 7638 thumbprint of a public JWK (its required members, sorted)."""
    required = {"OKP": ("crv", "kty", "x"), "EC": ("crv", "kty", "x", "y")}[public_jwk["kty"]]
    canonical = json.dumps({k: public_jwk[k] for k in required}, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass(frozen=True)
class SigningKey:
    """A private key the tests sign with, and its public JWK."""

    kid: str
    algorithm: str
    private_key: Any
    public_jwk: dict[str, Any]

    @classmethod
    def ed25519(cls) -> SigningKey:
        private = Ed25519PrivateKey.generate()
        jwk = json.loads(OKPAlgorithm.to_jwk(private.public_key()))
        return cls._build("EdDSA", private, jwk)

    @classmethod
    def p256(cls) -> SigningKey:
        private = ec.generate_private_key(ec.SECP256R1())
        jwk = json.loads(ECAlgorithm(ECAlgorithm.SHA256).to_jwk(private.public_key()))
        return cls._build("ES256", private, jwk)

    @classmethod
    def _build(cls, algorithm: str, private: Any, jwk: dict[str, Any]) -> SigningKey:
        kid = thumbprint(jwk)
        jwk.update(kid=kid, use="sig", alg=algorithm)
        return cls(kid, algorithm, private, jwk)

    def verification_key(self) -> VerificationKey:
        return VerificationKey(self.kid, self.algorithm, self.private_key.public_key())


@dataclass
class TokenFactory:
    """Signs RFC 9068 access tokens the way the token service does."""

    key: SigningKey
    clock: Any

    def claims(self, tenant: str, client_id: str, scope: str = ALL_SCOPES) -> dict[str, Any]:
        now = int(self.clock.time())
        return {
            "iss": ISSUER,
            "sub": client_id,
            "aud": AUDIENCE,
            "exp": now + TOKEN_LIFETIME,
            "iat": now,
            "nbf": now,
            "jti": uuid.uuid4().hex,
            "client_id": client_id,
            "scope": scope,
            "tenant": tenant,
        }

    def sign(
        self,
        claims: dict[str, Any],
        *,
        key: SigningKey | None = None,
        headers: dict[str, Any] | None = None,
    ) -> str:
        key = key or self.key
        header = {"typ": "at+jwt", "kid": key.kid, **(headers or {})}
        return jwt.encode(claims, key.private_key, algorithm=key.algorithm, headers=header)

    def token(
        self,
        tenant: str,
        client_id: str,
        scope: str = ALL_SCOPES,
        *,
        drop: tuple[str, ...] = (),
        key: SigningKey | None = None,
        headers: dict[str, Any] | None = None,
        **overrides: Any,
    ) -> str:
        claims = {**self.claims(tenant, client_id, scope), **overrides}
        for name in drop:
            claims.pop(name)
        return self.sign(claims, key=key, headers=headers)


@dataclass
class Caller:
    """A client of one tenant, able to make authenticated requests."""

    tenant: str
    client_id: str
    tokens: TokenFactory

    def token(self, scope: str = ALL_SCOPES, **overrides: Any) -> str:
        return self.tokens.token(self.tenant, self.client_id, scope, **overrides)

    def headers(self, scope: str = ALL_SCOPES, **overrides: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(scope, **overrides)}"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge_token(header: dict[str, Any], claims: dict[str, Any], sign: Any) -> str:
    """A JWS built by hand, for headers PyJWT refuses to produce; ``sign(bytes) -> bytes``."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64url(sign(signing_input.encode()))}"


# --- a small JSON Schema checker for the subset the OpenAPI document uses ---------------


def schema_errors(value: Any, schema: dict[str, Any], document: dict[str, Any]) -> list[str]:
    """Why ``value`` does not match ``schema`` ($refs resolved in ``document``); [] if it does."""
    errors: list[str] = []
    _check(value, schema, document, "$", errors)
    return errors


_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "null": type(None),
}


def resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _check(value: Any, schema: dict[str, Any], doc: dict[str, Any], at: str, errors: list[str]):
    schema = resolve(schema, doc)
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        ok = any(
            isinstance(value, _TYPES[name]) and not (name != "boolean" and isinstance(value, bool))
            for name in names
        )
        if not ok:
            errors.append(f"{at}: {value!r} is not of type {names}")
            return
    if "const" in schema and value != schema["const"]:
        errors.append(f"{at}: {value!r} != {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{at}: {value!r} not in {schema['enum']!r}")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            errors.append(f"{at}: shorter than {schema['minLength']}")
        if len(value) > schema.get("maxLength", float("inf")):
            errors.append(f"{at}: longer than {schema['maxLength']}")
    if isinstance(value, int) and not isinstance(value, bool):
        if value < schema.get("minimum", float("-inf")):
            errors.append(f"{at}: below {schema['minimum']}")
        if value > schema.get("maximum", float("inf")):
            errors.append(f"{at}: above {schema['maximum']}")
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                errors.append(f"{at}: missing {name!r}")
        properties = schema.get("properties", {})
        for name, item in value.items():
            if name in properties:
                _check(item, properties[name], doc, f"{at}.{name}", errors)
            elif schema.get("additionalProperties", True) is False:
                errors.append(f"{at}: unexpected property {name!r}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            _check(item, schema["items"], doc, f"{at}[{index}]", errors)
