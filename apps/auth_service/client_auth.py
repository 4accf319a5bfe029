"""Client authentication at the token endpoint.

Two methods: ``client_secret_basic`` (RFC 6749 section 2.3.1) and
``private_key_jwt`` (RFC 7523 section 2.2). Every failure raises
``InvalidClient`` with a fixed ``reason`` label; the description sent to the
client is deliberately vague about which check failed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

import jwt

from apps.auth_service.clients import (
    ASSERTION_ALGORITHMS,
    CLIENT_ID,
    AuthMethod,
    ClientRecord,
    ClientRegistry,
)
from apps.auth_service.errors import InvalidClient, InvalidRequest
from apps.auth_service.passwords import SecretVerifier
from apps.auth_service.replay_cache import ReplayCache
from apps.kernel.clock import Clock
from apps.kernel.jose import jws_codec
from apps.kernel.jwk import Jwk

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_ASSERTION_CHARS = 8_192
MAX_AUTHORIZATION_CHARS = 4_096
MAX_JTI_CHARS = 256
_FAILED = "client authentication failed"


@dataclass(frozen=True)
class AuthenticatedClient:
    """A client that proved its identity, and how."""

    record: ClientRecord
    method: AuthMethod


@dataclass(frozen=True)
class AssertionPolicy:
    """What a client assertion must satisfy.

    ``audiences``: the identifiers of this server an assertion's ``aud`` may be
    (the token endpoint URL and the issuer identifier); ``aud`` must be one of
    them as a single JSON string, never an array (RFC 7523bis, after the 2025
    audience-injection findings).

    ``max_lifetime_seconds``: how long after its ``iat`` an assertion is
    accepted, whatever its ``exp`` says (RFC 7523 lets a server refuse an
    ``iat`` unreasonably far in the past). A client library that signs
    assertions valid for an hour therefore works as long as it uses them at
    once, and the replay cache keeps an id no longer than this window. An
    assertion without ``iat`` must instead expire within the window.
    """

    audiences: frozenset[str]
    max_lifetime_seconds: int
    leeway_seconds: int


class ClientAuthenticator:
    """Authenticates the client of one token request."""

    def __init__(
        self,
        *,
        registry: ClientRegistry,
        verifier: SecretVerifier,
        replay_cache: ReplayCache,
        policy: AssertionPolicy,
        clock: Clock,
    ) -> None:
        self._registry = registry
        self._verifier = verifier
        self._replay_cache = replay_cache
        self._policy = policy
        self._clock = clock
        self._jws = jws_codec()

    def authenticate(
        self, authorization: str | None, form: Mapping[str, str]
    ) -> AuthenticatedClient:
        """Authenticate by exactly one method; raise ``InvalidRequest`` or ``InvalidClient``."""
        if "client_secret" in form:
            raise InvalidRequest("client_secret in the body is not supported; use HTTP Basic")
        uses_assertion = "client_assertion" in form or "client_assertion_type" in form
        if authorization is not None and uses_assertion:
            raise InvalidRequest("use exactly one client authentication method")
        if authorization is not None:
            return self._basic(authorization, form.get("client_id"))
        if uses_assertion:
            return self._assertion(form)
        raise InvalidClient("client authentication is required", reason="missing_credentials")

    # -- client_secret_basic -------------------------------------------------

    def _basic(self, authorization: str, form_client_id: str | None) -> AuthenticatedClient:
        client_id, secret = parse_basic(authorization)
        with _claimed(client_id):
            return self._check_secret(client_id, secret, form_client_id)

    def _check_secret(
        self, client_id: str, secret: str, form_client_id: str | None
    ) -> AuthenticatedClient:
        if form_client_id is not None and form_client_id != client_id:
            raise InvalidRequest("client_id does not match the authenticated client")
        record = self._registry.get(client_id)
        stored = (
            record.secret_hash if record and record.auth_method == "client_secret_basic" else None
        )
        # One verification at the configured costs whatever the record: unknown
        # clients, wrong-method clients and hashes of other costs spend a decoy.
        matched = self._verifier.verify(stored, secret)
        if record is None:
            raise InvalidClient(_FAILED, reason="unknown_client")
        if stored is None:
            raise InvalidClient(_FAILED, reason="wrong_auth_method")
        if not self._verifier.uses_configured_costs(stored):
            raise InvalidClient(_FAILED, reason="hash_costs_differ")
        if not matched:
            raise InvalidClient(_FAILED, reason="wrong_secret")
        return AuthenticatedClient(record, "client_secret_basic")

    # -- private_key_jwt -----------------------------------------------------

    def _assertion(self, form: Mapping[str, str]) -> AuthenticatedClient:
        if form.get("client_assertion_type") != JWT_BEARER:
            raise InvalidRequest(f"client_assertion_type must be {JWT_BEARER}")
        assertion = form.get("client_assertion")
        if not assertion or len(assertion) > MAX_ASSERTION_CHARS:
            raise InvalidClient(_FAILED, reason="malformed_assertion")
        try:
            header = jwt.get_unverified_header(assertion)
            # The claims are used only once the signature over these very bytes
            # has been verified (_verify_signature).
            claims = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise InvalidClient(_FAILED, reason="malformed_assertion") from None
        alg = header.get("alg")
        if alg not in ASSERTION_ALGORITHMS:
            raise InvalidClient(_FAILED, reason="disallowed_algorithm")
        client_id = claims.get("iss")
        if not isinstance(client_id, str) or claims.get("sub") != client_id:
            raise InvalidClient(_FAILED, reason="issuer_subject_mismatch")
        with _claimed(client_id):
            return self._check_assertion(assertion, header, claims, form)

    def _check_assertion(
        self,
        assertion: str,
        header: dict[str, Any],
        claims: dict[str, Any],
        form: Mapping[str, str],
    ) -> AuthenticatedClient:
        client_id: str = claims["iss"]
        if form.get("client_id", client_id) != client_id:
            raise InvalidRequest("client_id does not match the client assertion")
        record = self._registry.get(client_id)
        if record is None:
            raise InvalidClient(_FAILED, reason="unknown_client")
        if record.auth_method != "private_key_jwt":
            raise InvalidClient(_FAILED, reason="wrong_auth_method")
        self._verify_signature(assertion, header["alg"], header.get("kid"), record.keys)
        now = self._clock()
        accepted_until = self._check_claims(claims, now)
        self._check_replay(client_id, claims["jti"], accepted_until, now)
        return AuthenticatedClient(record, "private_key_jwt")

    def _verify_signature(
        self, assertion: str, alg: str, kid: object, keys: tuple[Jwk, ...]
    ) -> None:
        """Raise unless one of the client's keys (of this ``kid``, if named) signed it.

        A client that rotates its key registers both for a while; without a
        ``kid`` each key of the algorithm is tried.
        """
        candidates = [k for k in keys if k.verifies(alg) and (kid is None or k.kid in (None, kid))]
        for key in candidates:
            try:
                # Signature only: every claim is checked next, with the injected clock.
                self._jws.decode(assertion, key=key.key, algorithms=[alg])
            except jwt.PyJWTError:
                continue
            return
        raise InvalidClient(_FAILED, reason="bad_signature")

    def _check_claims(self, claims: Mapping[str, Any], now: float) -> float:
        """Check every claim at ``now``; return ``accepted_until``.

        The assertion is refused from ``accepted_until`` + leeway on: like an
        ``exp`` (RFC 7519 4.1.4: "on or after"), never at the instant itself.
        """
        policy = self._policy
        leeway = policy.leeway_seconds
        if not all(_is_time(claims.get(name), optional=name != "exp") for name in _TIMES):
            raise InvalidClient(_FAILED, reason="malformed_assertion")
        exp: float = claims["exp"]
        nbf: float | None = claims.get("nbf")
        iat: float | None = claims.get("iat")
        if now >= exp + leeway:
            raise InvalidClient(_FAILED, reason="expired")
        if (nbf is not None and now + leeway < nbf) or (iat is not None and now + leeway < iat):
            raise InvalidClient(_FAILED, reason="not_yet_valid")
        if iat is None:
            if exp - now > policy.max_lifetime_seconds + leeway:
                raise InvalidClient(_FAILED, reason="lifetime_too_long")
            accepted_until = exp
        else:
            if now >= iat + policy.max_lifetime_seconds + leeway:
                raise InvalidClient(_FAILED, reason="too_old")
            accepted_until = min(exp, iat + policy.max_lifetime_seconds)
        aud = claims.get("aud")
        # An array is refused even when it names this server: an assertion also
        # meant for another party could have been replayed from there.
        if not isinstance(aud, str) or aud not in policy.audiences:
            raise InvalidClient(_FAILED, reason="wrong_audience")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_CHARS:
            raise InvalidClient(_FAILED, reason="missing_jti")
        return accepted_until

    def _check_replay(self, client_id: str, jti: str, accepted_until: float, now: float) -> None:
        # Keep the id for as long as the assertion could still be accepted, in
        # whole seconds rounded up: at least 1, as _check_claims accepted it at now.
        ttl = math.ceil(accepted_until + self._policy.leeway_seconds - now)
        if not self._replay_cache.add_if_absent(replay_key(client_id, jti), ttl):
            raise InvalidClient(_FAILED, reason="replayed_assertion")


_TIMES = ("exp", "nbf", "iat")


def claimed_client_id(authorization: str | None, form: Mapping[str, str]) -> str | None:
    """The client id a token request names, read without any cryptography.

    From the Basic credentials, else the assertion's unverified ``iss``, else
    the ``client_id`` parameter; None if none is readable. Used to throttle
    before the expensive checks, never to authenticate.
    """
    if authorization is not None:
        try:
            return parse_basic(authorization)[0]
        except InvalidClient:
            return None
    assertion = form.get("client_assertion")
    if assertion and len(assertion) <= MAX_ASSERTION_CHARS:
        try:
            issuer = jwt.decode(assertion, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError:
            issuer = None
        if isinstance(issuer, str):
            return issuer
    return form.get("client_id")


def replay_key(client_id: str, jti: str) -> str:
    """The replay-cache key of one client's assertion id.

    A JSON array keeps the two strings apart whatever characters they hold
    (joining with ``:`` let client ``a`` with jti ``b:X`` burn client ``a:b``'s
    jti ``X``); hashing it gives every entry the same small size, whatever the
    length of the jti. The derivation must never change: during a rolling
    deploy, workers of two releases share one Redis.
    """
    # Compact, and ASCII: json escapes every other character by default.
    encoded = json.dumps([client_id, jti], separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


@contextmanager
def _claimed(client_id: str) -> Iterator[None]:
    """Attach the claimed client id (if well formed) to an ``InvalidClient`` raised inside."""
    try:
        yield
    except InvalidClient as exc:
        exc.client_id = client_id if CLIENT_ID.fullmatch(client_id) else None
        raise


def _is_time(value: object, *, optional: bool) -> bool:
    if value is None:
        return optional
    # JSON parsers accept NaN and Infinity; neither is a time.
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def parse_basic(authorization: str) -> tuple[str, str]:
    """Split an HTTP Basic header into client id and secret (both form-urlencoded, RFC 6749)."""
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic" or not encoded or len(authorization) > MAX_AUTHORIZATION_CHARS:
        raise InvalidClient(_FAILED, reason="malformed_credentials")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidClient(_FAILED, reason="malformed_credentials") from None
    raw_id, separator, raw_secret = decoded.partition(":")
    if not separator or not raw_id:
        raise InvalidClient(_FAILED, reason="malformed_credentials")
    return unquote_plus(raw_id), unquote_plus(raw_secret)
