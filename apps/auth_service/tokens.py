"""Access tokens: JWTs in the RFC 9068 profile, signed with the active key."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import jwt

from apps.auth_service.clients import ClientRecord
from apps.auth_service.keys import KeySet
from apps.kernel.clock import Clock

ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 - a media type, not a secret


@dataclass(frozen=True)
class IssuedToken:
    """A freshly signed access token and what it grants."""

    access_token: str = field(repr=False)
    expires_in: int
    scope: str
    jti: str
    kid: str


class TokenIssuer:
    """Signs access tokens for authenticated clients."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        lifetime_seconds: int,
        key_set: KeySet,
        clock: Clock,
    ) -> None:
        self._issuer = issuer
        self._audience = audience
        self._lifetime = lifetime_seconds
        self._key_set = key_set
        self._clock = clock

    def issue(self, client: ClientRecord, scopes: tuple[str, ...]) -> IssuedToken:
        now = int(self._clock())
        key = self._key_set.active
        jti = secrets.token_urlsafe(16)
        scope = " ".join(scopes)
        claims = {
            "iss": self._issuer,
            "sub": client.client_id,
            "aud": self._audience,
            "exp": now + self._lifetime,
            "iat": now,
            "nbf": now,
            "jti": jti,
            "client_id": client.client_id,
            "scope": scope,
            "tenant": client.tenant,
        }
        token = jwt.encode(
            claims,
            key.private_key,
            algorithm=key.alg,
            headers={"kid": key.kid, "typ": ACCESS_TOKEN_TYPE},
        )
        return IssuedToken(token, self._lifetime, scope, jti, key.kid)
