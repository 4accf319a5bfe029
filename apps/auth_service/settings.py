"""Typed, validated settings of the token service, read from a TOML file.

``Settings.from_environ(environ)`` reads the file ``AUTH_SERVICE_CONFIG``
names; ``Settings.from_file(path)`` a given one. Either returns a frozen
:class:`Settings` or raises one :class:`SettingsError` listing every problem,
each named by its TOML path (``registry.url``, ``clients[2].secret_hash``) and
never quoting a value. Relative key paths are resolved against the directory
of the file. The models are pydantic's (:mod:`apps.kernel.settings`); numbers
and booleans must have their TOML type (``"600"`` is not a number).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from datetime import UTC
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import argon2
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    Strict,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from apps.auth_service.clients import ARGON2_CONTEXT, ClientRecord
from apps.kernel import settings as kernel_settings
from apps.kernel.settings import (
    Location,
    RateLimit,
    SecureBaseUrl,
    SettingsModel,
    dotted_name,
    storage_url,
)

CONFIG_ENV = "AUTH_SERVICE_CONFIG"
#: Validation context key: the directory relative key paths are resolved against.
BASE_DIR_CONTEXT = "base_dir"
REPLAY_CACHE_SCHEMES = frozenset({"memory", "redis", "rediss"})


class SettingsError(kernel_settings.SettingsError):
    """The configuration is missing, unreadable or invalid."""

    subject = "auth_service configuration"


def _int(low: int, high: int) -> Any:
    return Field(ge=low, le=high, strict=True)


def _key_path_text(value: object) -> object:
    if isinstance(value, os.PathLike) or (isinstance(value, str) and value):
        return value
    raise ValueError("must be a key file path")


def _resolved(path: Path, info: ValidationInfo) -> Path:
    path = path.expanduser()
    base = (info.context or {}).get(BASE_DIR_CONTEXT)
    return path if path.is_absolute() or base is None else Path(base) / path


KeyPath = Annotated[Path, BeforeValidator(_key_path_text), AfterValidator(_resolved)]


class RetiredKeyFile(SettingsModel):
    """A former signing key, still published until its tokens have expired."""

    path: KeyPath
    retired_at: Annotated[AwareDatetime, AfterValidator(lambda value: value.astimezone(UTC))]


class KeySettings(SettingsModel):
    """Key files: the one active signing key, retired keys, and keys published ahead of use."""

    active: KeyPath
    retired: tuple[RetiredKeyFile, ...] = ()
    upcoming: tuple[KeyPath, ...] = ()


class Argon2Settings(SettingsModel):
    """Costs of argon2id hashes (RFC 9106 second recommended option by default).

    Every stored secret hash must have exactly these costs (the configuration
    is refused otherwise): they are also the costs of the decoy verification
    spent on unknown clients, and ``hash-secret`` makes hashes with them.
    """

    time_cost: Annotated[int, _int(1, 20)] = 3
    parallelism: Annotated[int, _int(1, 64)] = 4
    memory_cost_kib: Annotated[int, _int(8, 4 * 1024 * 1024)] = 65536

    @field_validator("memory_cost_kib")
    @classmethod
    def _covers_every_lane(cls, value: int, info: ValidationInfo) -> int:
        lanes = info.data.get("parallelism")
        if lanes is not None and value < 8 * lanes:
            raise ValueError("must be at least 8 KiB per lane (8 * parallelism)")
        return value

    @property
    def costs(self) -> tuple[int, int, int]:
        """(time cost, memory in KiB, parallelism), as argon2 reports a hash's."""
        return (self.time_cost, self.memory_cost_kib, self.parallelism)

    @classmethod
    def of_hash(cls, secret_hash: str) -> Argon2Settings | None:
        """The costs an argon2id hash was made with, or None if it is not one."""
        try:
            found = argon2.extract_parameters(secret_hash)
        except argon2.exceptions.InvalidHashError:
            return None
        if found.type is not argon2.Type.ID:
            return None
        return cls(
            time_cost=found.time_cost,
            memory_cost_kib=found.memory_cost,
            parallelism=found.parallelism,
        )

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Self:
        """Only the ``[argon2]`` costs of a configuration file (the rest may be incomplete)."""
        data = _read_toml(Path(path))
        try:
            return cls.model_validate(data.get("argon2", {}))
        except ValidationError as exc:
            raise SettingsError.from_validation(exc, name=_under_argon2) from None


class ThrottleSettings(SettingsModel):
    """Failed client authentications allowed per claimed client id and per address.

    Counted in the store of ``replay_cache_url``. ``trusted_proxy_hops``: how
    many reverse proxies you run in front of the service append to
    ``X-Forwarded-For``; 0 (the default) ignores that header entirely.
    """

    failures_per_client: RateLimit = "10/minute"
    failures_per_address: RateLimit = "30/minute"
    trusted_proxy_hops: Annotated[int, _int(0, 5)] = 0


class RegistrySettings(SettingsModel):
    """Where client records come from: the config file or a remote directory service.

    A directory lookup is retried on transport errors and 5xx answers
    (``retries`` more attempts, jittered backoff: :mod:`logging_lib.retry`)
    and never takes longer than ``retry_budget_seconds`` in all; each attempt
    waits at most ``timeout_seconds``.
    """

    source: Literal["config", "directory"] = "config"
    url: SecureBaseUrl | None = Field(default=None, repr=False, validate_default=True)
    timeout_seconds: Annotated[float, Field(ge=0.05, le=60.0, strict=True)] = 2.0
    retries: Annotated[int, _int(0, 5)] = 2
    retry_budget_seconds: Annotated[float, Field(ge=0.05, le=60.0, strict=True)] = 5.0

    @field_validator("url")
    @classmethod
    def _directory_needs_a_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("source") == "directory" and value is None:
            raise ValueError("is required when registry.source is directory")
        return value


class Settings(SettingsModel):
    """Everything the token service needs, validated."""

    issuer: SecureBaseUrl
    token_endpoint: SecureBaseUrl
    access_token_audience: Annotated[str, Field(min_length=1)]
    token_lifetime_seconds: Annotated[int, _int(1, 86_400)] = 600
    assertion_max_lifetime_seconds: Annotated[int, _int(1, 3_600)] = 300
    clock_leeway_seconds: Annotated[int, _int(0, 300)] = 30
    jwks_max_age_seconds: Annotated[int, _int(0, 86_400)] = 300
    # A Redis URL may carry a password: keep it out of every repr.
    replay_cache_url: Annotated[str, storage_url(REPLAY_CACHE_SCHEMES)] = Field(
        default="memory://", repr=False
    )
    replay_cache_max_entries: Annotated[int, _int(1, 100_000_000)] = 100_000
    allow_per_process_storage: Annotated[bool, Strict()] = False
    max_request_bytes: Annotated[int, _int(1_024, 1_048_576)] = 16_384
    keys: KeySettings
    argon2: Argon2Settings = Argon2Settings()
    throttle: ThrottleSettings = ThrottleSettings()
    registry: RegistrySettings = RegistrySettings()
    clients: tuple[ClientRecord, ...] = Field(default=(), validate_default=True)

    @property
    def jwks_uri(self) -> str:
        return f"{self.issuer.rstrip('/')}/.well-known/jwks.json"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Self:
        """Read the file ``AUTH_SERVICE_CONFIG`` names; raise one :class:`SettingsError`."""
        return cls.from_file(config_path(environ))

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Self:
        """Read and validate a TOML configuration file; raise one :class:`SettingsError`."""
        file = Path(path)
        return cls.from_mapping(_read_toml(file), base_dir=file.parent)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, base_dir: Path) -> Self:
        """Validate a parsed configuration; relative key paths resolve against ``base_dir``."""
        try:
            # Stored hashes are checked against the configured costs; costs that
            # are themselves invalid are reported below and check nothing.
            costs: Argon2Settings | None = Argon2Settings.model_validate(data.get("argon2", {}))
        except ValidationError:
            costs = None
        context = {BASE_DIR_CONTEXT: base_dir, ARGON2_CONTEXT: costs}
        try:
            return cls.model_validate(data, context=context)
        except ValidationError as exc:
            raise SettingsError.from_validation(exc) from None

    @field_validator("clients")
    @classmethod
    def _clients_fit_the_registry(
        cls, clients: tuple[ClientRecord, ...], info: ValidationInfo
    ) -> tuple[ClientRecord, ...]:
        registry = info.data.get("registry")
        if not clients and registry is not None and registry.source == "config":
            raise ValueError("at least one client is required when registry.source is config")
        first_entry: dict[str, int] = {}
        for index, client in enumerate(clients):
            if client.client_id in first_entry:
                raise ValueError(
                    f"entry {index} repeats the client_id of entry {first_entry[client.client_id]}"
                )
            first_entry[client.client_id] = index
        return clients


def config_path(environ: Mapping[str, str], path: str | os.PathLike[str] | None = None) -> Path:
    """``path`` if given, else the file ``AUTH_SERVICE_CONFIG`` names."""
    raw = os.fspath(path) if path is not None else environ.get(CONFIG_ENV)
    if not raw:
        raise SettingsError([f"no configuration file: set {CONFIG_ENV} or name the file"])
    return Path(raw)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise SettingsError([f"{path}: cannot be read ({exc.strerror})"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError([f"{path}: not valid TOML ({exc})"]) from None


def _under_argon2(location: Location) -> str:
    return dotted_name(("argon2", *location))
