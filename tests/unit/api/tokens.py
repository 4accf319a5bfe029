"""Access tokens for the api layer: signing keys, a token factory, callers of a tenant.

Tokens are signed the way the token service signs them (RFC 9068); the
benchmark in ``benchmarks/api_requests.py`` signs with the same factory.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import ECAlgorithm, OKPAlgorithm

from apps.api.jwks import VerificationKey
from apps.kernel.jwk import thumbprint
from tests.utils.keys import b64url

ISSUER = "https://auth.test"
AUDIENCE = "projects-api"
JWKS_URL = "https://auth.test/.well-known/jwks.json"
ALL_SCOPES = "projects:read projects:write"
TOKEN_LIFETIME = 300


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


def forge_token(header: dict[str, Any], claims: dict[str, Any], sign: Any) -> str:
    """A JWS built by hand, for headers PyJWT refuses to produce; ``sign(bytes) -> bytes``."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64url(sign(signing_input.encode()))}"
