"""Registered clients: their record, their public keys and where records come from.

A :class:`ClientRecord` is validated from a ``[[clients]]`` table of the
configuration file or from a JSON object of the directory service by the same
model, so both sources obey the same rules. Keys are parsed by the services'
one JWK parser (:mod:`apps.kernel.jwk`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Annotated, Literal, Protocol

import argon2
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    InstanceOf,
    ValidationInfo,
    field_validator,
)

from apps.kernel.jose import ED25519, EDDSA
from apps.kernel.jwk import ES256, Jwk, JwkError, key_algorithm, parse_public_jwk
from apps.kernel.settings import SettingsModel

AuthMethod = Literal["client_secret_basic", "private_key_jwt"]
AUTH_METHODS: tuple[AuthMethod, ...] = ("client_secret_basic", "private_key_jwt")
#: Only asymmetric algorithms; never ``none`` and never an HMAC family. ``Ed25519``
#: (RFC 9864) and the deprecated ``EdDSA`` both name signatures by an Ed25519 key.
ASSERTION_ALGORITHMS = (ED25519, EDDSA, ES256)

CLIENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:~-]{0,127}")
TENANT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
#: RFC 6749 scope-token: printable ASCII except space, '"' and '\'.
SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]{1,128}")
#: Validation context key: the configured argon2 costs every stored hash must have.
ARGON2_CONTEXT = "argon2"


def _matching(pattern: re.Pattern[str]) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"must match {pattern.pattern}")
        return value

    return AfterValidator(check)


def parse_pem_public_key(pem: object) -> Jwk:
    """Parse a PEM public key; raises ``ValueError`` for anything but Ed25519 or P-256."""
    if not isinstance(pem, str):
        raise ValueError("must be a string")
    try:
        key = load_pem_public_key(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise ValueError("is not a PEM public key") from None
    algorithm = key_algorithm(key)
    if algorithm is None:
        raise ValueError("must be an Ed25519 or P-256 public key")
    return Jwk(algorithm=algorithm, key=key)  # type: ignore[arg-type]


def parse_jwks(jwks: object) -> tuple[Jwk, ...]:
    """Parse a JWK Set given as a table/object or as its JSON text; refuses private keys."""
    if isinstance(jwks, str):
        try:
            jwks = json.loads(jwks)
        except ValueError:
            raise ValueError("is not valid JSON") from None
    keys = jwks.get("keys") if isinstance(jwks, Mapping) else None
    if not isinstance(keys, list) or not keys:
        raise ValueError('must be a JWK Set with a non-empty "keys" array')
    try:
        return tuple(parse_public_jwk(jwk) for jwk in keys)
    except JwkError as exc:
        raise ValueError(str(exc)) from None


def _registered_pem(value: object, info: ValidationInfo) -> Jwk | None:
    _check_method_takes_keys(value, info)
    return None if value is None else parse_pem_public_key(value)


def _registered_jwks(value: object, info: ValidationInfo) -> tuple[Jwk, ...] | None:
    _check_method_takes_keys(value, info)
    # (A public_key_pem that failed to parse is not in info.data: it has its own problem.)
    if (
        info.data.get("auth_method") == "private_key_jwt"
        and "public_key_pem" in info.data
        and (info.data["public_key_pem"] is None) == (value is None)
    ):
        raise ValueError("give exactly one of public_key_pem or jwks")
    return None if value is None else parse_jwks(value)


def _check_method_takes_keys(value: object, info: ValidationInfo) -> None:
    if info.data.get("auth_method") == "client_secret_basic" and value is not None:
        raise ValueError("client_secret_basic clients take no public key")


def _unique(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


class ClientRecord(SettingsModel):
    """A registered client and how it authenticates.

    ``client_secret_basic`` clients have an argon2id ``secret_hash``;
    ``private_key_jwt`` clients register their keys as ``public_key_pem`` or as
    a ``jwks`` (object or JSON text), exactly one of the two.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    client_id: Annotated[str, _matching(CLIENT_ID)]
    tenant: Annotated[str, _matching(TENANT)]
    allowed_scopes: Annotated[
        tuple[Annotated[str, _matching(SCOPE_TOKEN)], ...],
        Field(min_length=1),
        AfterValidator(_unique),
    ]
    auth_method: AuthMethod
    secret_hash: str | None = Field(default=None, repr=False, validate_default=True)
    # Given as PEM or JWKS text, held parsed: read them through ``keys``.
    public_key_pem: Annotated[InstanceOf[Jwk] | None, BeforeValidator(_registered_pem)] = Field(
        default=None, repr=False, validate_default=True
    )
    jwks: Annotated[tuple[InstanceOf[Jwk], ...] | None, BeforeValidator(_registered_jwks)] = Field(
        default=None, repr=False, validate_default=True
    )

    @property
    def keys(self) -> tuple[Jwk, ...]:
        """The public keys a ``private_key_jwt`` client signs its assertions with."""
        if self.public_key_pem is not None:
            return (self.public_key_pem,)
        return self.jwks or ()

    @field_validator("secret_hash")
    @classmethod
    def _secret_fits_the_method(cls, value: str | None, info: ValidationInfo) -> str | None:
        method = info.data.get("auth_method")
        if method == "client_secret_basic" and value is None:
            raise ValueError("is required")
        if method == "private_key_jwt" and value is not None:
            raise ValueError("private_key_jwt clients take no secret")
        if value is None:
            return None
        try:
            found = argon2.extract_parameters(value)
        except argon2.exceptions.InvalidHashError:
            found = None
        if found is None or found.type is not argon2.Type.ID:
            raise ValueError("must be an argon2id hash (PHC string format)")
        configured = (info.context or {}).get(ARGON2_CONTEXT)
        costs = (found.time_cost, found.memory_cost, found.parallelism)
        if configured is not None and costs != configured.costs:
            # Verifying such a hash would take another time than the decoy an
            # unknown client costs: the response time would tell ids apart.
            raise ValueError(
                f"hashed with {describe_costs(*costs)} but [argon2] is"
                f" {describe_costs(*configured.costs)}; hash it again with"
                " `python -m apps.auth_service hash-secret`"
            )
        return value


def describe_costs(time_cost: int, memory_cost_kib: int, parallelism: int) -> str:
    return f"t={time_cost}, m={memory_cost_kib} KiB, p={parallelism}"


class RegistryUnavailable(RuntimeError):
    """The client registry cannot answer; callers must fail closed."""


class ClientRegistry(Protocol):
    """Looks clients up by id; ``None`` means the client is unknown."""

    def get(self, client_id: str) -> ClientRecord | None: ...


class StaticClientRegistry:
    """Clients listed in the configuration file."""

    def __init__(self, clients: Iterable[ClientRecord]) -> None:
        self._clients = {client.client_id: client for client in clients}

    def get(self, client_id: str) -> ClientRecord | None:
        return self._clients.get(client_id)
