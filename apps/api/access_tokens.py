"""Access-token verification: RFC 9068 JWTs issued by the token service.

:class:`AccessTokenVerifier` is the interface the API depends on;
:class:`JwtAccessTokenVerifier` is the implementation over a
:class:`~apps.api.jwks.KeySource`. A token is accepted only if all of these hold:

* the header has ``typ`` ``at+jwt``, a ``kid``, and an ``alg`` on the
  allow-list (``Ed25519``, ``EdDSA``, ``ES256``). ``none`` and every HMAC
  algorithm are refused before any key is looked up, so a token "signed" with
  the public key as an HMAC secret never reaches a verifier;
* the key for ``kid`` exists and is bound to that algorithm (an Ed25519 key
  verifies ``Ed25519``, RFC 9864's name, and the deprecated ``EdDSA``; the
  token service still signs with ``EdDSA`` while verifiers catch up);
* the signature verifies;
* ``iss`` and ``aud`` equal the configured values;
* ``exp``, ``nbf`` and ``iat`` are numbers and hold at the injected clock's
  time, within ``leeway`` seconds;
* ``sub``, ``client_id``, ``tenant`` and ``jti`` are non-empty strings and
  ``scope`` is a space-separated string.

Failures raise :class:`InvalidToken` with a short reason that is safe to show
the caller and to log; the token itself is never logged.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Protocol

import jwt

from apps.api.jwks import KeySource
from apps.kernel.clock import Clock
from apps.kernel.jose import ED25519_ALGORITHMS, jws_codec
from apps.kernel.jwk import ES256, algorithm_allowed

ALLOWED_ALGORITHMS = frozenset({*ED25519_ALGORITHMS, ES256})
ACCEPTED_TYPES = frozenset({"at+jwt", "application/at+jwt"})
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")
REQUIRED_CLAIMS = ("iss", "sub", "aud", "exp", "iat", "nbf", "jti", "client_id", "scope", "tenant")


class InvalidToken(Exception):
    """The bearer token is not acceptable; ``reason`` is a short, non-secret label."""

    def __init__(self, reason: str, description: str) -> None:
        super().__init__(description)
        self.reason = reason
        self.description = description


@dataclass(frozen=True)
class Principal:
    """Who is calling: the verified claims the API acts on."""

    subject: str
    client_id: str
    tenant: str
    scopes: frozenset[str]
    token_id: str


class AccessTokenVerifier(Protocol):
    """Turns a bearer token into a :class:`Principal` or raises :class:`InvalidToken`."""

    def verify(self, token: str) -> Principal: ...

    def ready(self) -> bool:
        """True when tokens can be verified (keys are loaded)."""
        ...


class JwtAccessTokenVerifier:
    """Verifies RFC 9068 access tokens against keys from a :class:`KeySource`."""

    def __init__(
        self,
        keys: KeySource,
        *,
        issuer: str,
        audience: str,
        clock: Clock,
        leeway: int,
    ) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._clock = clock
        self._leeway = leeway
        self._jws = jws_codec()

    def ready(self) -> bool:
        return self._keys.ensure_loaded()

    def verify(self, token: str) -> Principal:
        # PyJWT's base64url decoding grew stricter across versions; checking the
        # alphabet here makes a corrupt segment "malformed" whatever the version.
        if _COMPACT_JWS.fullmatch(token) is None:
            raise InvalidToken("malformed", "the token is not a well-formed JWT")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise InvalidToken("malformed", "the token is not a well-formed JWT") from None
        algorithm = header.get("alg")
        if algorithm not in ALLOWED_ALGORITHMS:
            raise InvalidToken("algorithm", "the token's signing algorithm is not accepted")
        typ = header.get("typ")
        if not isinstance(typ, str) or typ.lower() not in ACCEPTED_TYPES:
            raise InvalidToken("type", "the token is not an access token (typ at+jwt)")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("kid", "the token has no key id")
        key = self._keys.get_key(kid)
        if key is None:
            raise InvalidToken("unknown_key", "the token was signed with an unknown key")
        if not algorithm_allowed(key.algorithm, algorithm):
            raise InvalidToken("algorithm", "the token's algorithm does not match its key")
        try:
            self._jws.decode(token, key.key, algorithms=[algorithm])
        except jwt.InvalidSignatureError:
            raise InvalidToken("signature", "the token signature is invalid") from None
        except jwt.InvalidTokenError:
            raise InvalidToken("malformed", "the token is not a well-formed JWT") from None
        try:
            # The signature was verified just above (PyJWT's own decode does not
            # know RFC 9864's Ed25519 name); this checks the claims only.
            claims: dict[str, Any] = jwt.decode(
                token,
                audience=self._audience,
                issuer=self._issuer,
                # PyJWT's own exp/nbf/iat checks default to verify_signature, so they
                # are off: the time claims are checked below with the injected clock.
                options={
                    "verify_signature": False,
                    "verify_aud": True,
                    "verify_iss": True,
                    "require": list(REQUIRED_CLAIMS),
                },
            )
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidToken("claims", f"the token has no '{exc.claim}' claim") from None
        except jwt.InvalidAudienceError:
            raise InvalidToken("audience", "the token is not meant for this API") from None
        except jwt.InvalidIssuerError:
            raise InvalidToken("issuer", "the token was issued by an untrusted issuer") from None
        except jwt.InvalidTokenError:
            # e.g. a non-string 'sub' or 'jti', which PyJWT checks itself.
            raise InvalidToken("claims", "the token's claims are invalid") from None
        self._check_times(claims)
        return _principal_from(claims)

    def _check_times(self, claims: dict[str, Any]) -> None:
        times = {name: claims[name] for name in ("exp", "nbf", "iat")}
        for name, value in times.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidToken("claims", f"the token's '{name}' claim is not a number")
            if not math.isfinite(value):
                raise InvalidToken("claims", f"the token's '{name}' claim is not a number")
        now = self._clock()
        if now >= times["exp"] + self._leeway:
            raise InvalidToken("expired", "the token has expired")
        if now + self._leeway < times["nbf"]:
            raise InvalidToken("not_yet_valid", "the token is not valid yet")
        if now + self._leeway < times["iat"]:
            raise InvalidToken("not_yet_valid", "the token was issued in the future")


def _principal_from(claims: dict[str, Any]) -> Principal:
    values = {name: claims.get(name) for name in ("sub", "client_id", "tenant", "jti")}
    for name, value in values.items():
        if not isinstance(value, str) or not value:
            raise InvalidToken("claims", f"the token's '{name}' claim must be a non-empty string")
    scope = claims.get("scope")
    if not isinstance(scope, str):
        raise InvalidToken("claims", "the token's 'scope' claim must be a string")
    return Principal(
        subject=str(values["sub"]),
        client_id=str(values["client_id"]),
        tenant=str(values["tenant"]),
        scopes=frozenset(scope.split()),
        token_id=str(values["jti"]),
    )
