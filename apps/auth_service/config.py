"""Typed, validated settings of the token service, read from a TOML file.

``load_settings`` reads the file named by the argument or by the
``AUTH_SERVICE_CONFIG`` environment variable, applies keyword overrides to
its top-level fields, and returns a frozen ``Settings`` or raises one
``ConfigError`` listing every problem. Relative key paths are resolved against
the directory of the config file.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import argon2
from limits import parse as parse_rate_limit

from apps.auth_service._fields import Reader
from apps.auth_service.clients import ClientRecord, parse_client
from apps.auth_service.errors import ConfigError

CONFIG_ENV = "AUTH_SERVICE_CONFIG"
_REDIS_URL = re.compile(r"(memory://|rediss?://[^\s]+)")


@dataclass(frozen=True)
class RetiredKeyFile:
    """A former signing key, still published until its tokens have expired."""

    path: Path
    retired_at: datetime


@dataclass(frozen=True)
class KeySettings:
    """Key files: the one active signing key, retired keys, and keys published ahead of use."""

    active: Path
    retired: tuple[RetiredKeyFile, ...] = ()
    upcoming: tuple[Path, ...] = ()


@dataclass(frozen=True)
class Argon2Settings:
    """Costs of argon2id hashes (RFC 9106 second recommended option by default).

    Every stored secret hash must have exactly these costs (the configuration
    is refused otherwise): they are also the costs of the decoy verification
    spent on unknown clients, and ``hash-secret`` makes hashes with them.
    """

    time_cost: int = 3
    memory_cost_kib: int = 65536
    parallelism: int = 4

    @classmethod
    def of_hash(cls, secret_hash: str) -> Argon2Settings | None:
        """The costs an argon2id hash was made with, or None if it is not one."""
        try:
            found = argon2.extract_parameters(secret_hash)
        except argon2.exceptions.InvalidHashError:
            return None
        if found.type is not argon2.Type.ID:
            return None
        return cls(found.time_cost, found.memory_cost, found.parallelism)

    def describe(self) -> str:
        return f"t={self.time_cost}, m={self.memory_cost_kib} KiB, p={self.parallelism}"


@dataclass(frozen=True)
class ThrottleSettings:
    """Failed client authentications allowed per claimed client id and per address.

    Counted in the store of ``replay_cache_url``. ``trusted_proxy_hops``: how
    many reverse proxies you run in front of the service append to
    ``X-Forwarded-For``; 0 (the default) ignores that header entirely.
    """

    failures_per_client: str = "10/minute"
    failures_per_address: str = "30/minute"
    trusted_proxy_hops: int = 0


@dataclass(frozen=True)
class RegistrySettings:
    """Where client records come from: the config file or a remote directory service."""

    source: Literal["config", "directory"] = "config"
    url: str | None = field(default=None, repr=False)
    timeout_seconds: float = 2.0
    retries: int = 2


@dataclass(frozen=True)
class Settings:
    """Everything the token service needs, validated."""

    issuer: str
    token_endpoint: str
    access_token_audience: str
    keys: KeySettings
    clients: Mapping[str, ClientRecord]
    token_lifetime_seconds: int = 600
    assertion_max_lifetime_seconds: int = 300
    clock_leeway_seconds: int = 30
    jwks_max_age_seconds: int = 300
    replay_cache_url: str = field(default="memory://", repr=False)
    replay_cache_max_entries: int = 100_000
    allow_per_process_storage: bool = False
    max_request_bytes: int = 16_384
    argon2: Argon2Settings = Argon2Settings()
    throttle: ThrottleSettings = ThrottleSettings()
    registry: RegistrySettings = RegistrySettings()

    @property
    def jwks_uri(self) -> str:
        return f"{self.issuer.rstrip('/')}/.well-known/jwks.json"


_TOP_LEVEL = {
    "issuer",
    "token_endpoint",
    "access_token_audience",
    "token_lifetime_seconds",
    "assertion_max_lifetime_seconds",
    "clock_leeway_seconds",
    "jwks_max_age_seconds",
    "replay_cache_url",
    "replay_cache_max_entries",
    "allow_per_process_storage",
    "max_request_bytes",
    "keys",
    "argon2",
    "throttle",
    "registry",
    "clients",
}


def load_settings(
    config_path: str | os.PathLike[str] | None,
    environ: Mapping[str, str],
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Read, merge and validate the configuration; raise ``ConfigError`` on any problem."""
    path, data = _read_file(config_path, environ)
    data.update(overrides or {})
    return settings_from_mapping(data, base_dir=path.parent)


def load_argon2_settings(
    config_path: str | os.PathLike[str] | None, environ: Mapping[str, str]
) -> Argon2Settings:
    """Only the ``[argon2]`` costs of the configuration (the rest may still be incomplete)."""
    _, data = _read_file(config_path, environ)
    problems: list[str] = []
    table = Reader(data, "", problems).table_of("argon2")
    costs = _read_argon2(Reader(table, "argon2.", problems))
    if problems or costs is None:
        raise ConfigError(problems)
    return costs


def _read_file(
    config_path: str | os.PathLike[str] | None, environ: Mapping[str, str]
) -> tuple[Path, dict[str, Any]]:
    raw_path = os.fspath(config_path) if config_path is not None else environ.get(CONFIG_ENV)
    if not raw_path:
        raise ConfigError([f"no configuration file: pass config_path or set {CONFIG_ENV}"])
    path = Path(raw_path)
    try:
        with path.open("rb") as handle:
            return path, tomllib.load(handle)
    except OSError as exc:
        raise ConfigError([f"{path}: cannot be read ({exc.strerror})"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML ({exc})"]) from None


def settings_from_mapping(data: Mapping[str, Any], *, base_dir: Path) -> Settings:
    """Validate a parsed configuration mapping into ``Settings``."""
    problems: list[str] = []
    top = Reader(data, "", problems)
    top.reject_unknown(_TOP_LEVEL)
    values: dict[str, Any] = {
        "issuer": top.url("issuer", schemes=("https", "http")),
        "token_endpoint": top.url("token_endpoint", schemes=("https", "http")),
        "access_token_audience": top.string("access_token_audience"),
        "token_lifetime_seconds": top.integer("token_lifetime_seconds", 600, low=1, high=86_400),
        "assertion_max_lifetime_seconds": top.integer(
            "assertion_max_lifetime_seconds", 300, low=1, high=3_600
        ),
        "clock_leeway_seconds": top.integer("clock_leeway_seconds", 30, low=0, high=300),
        "jwks_max_age_seconds": top.integer("jwks_max_age_seconds", 300, low=0, high=86_400),
        "replay_cache_url": top.string("replay_cache_url", "memory://", pattern=_REDIS_URL),
        "replay_cache_max_entries": top.integer(
            "replay_cache_max_entries", 100_000, low=1, high=100_000_000
        ),
        "allow_per_process_storage": top.boolean("allow_per_process_storage", False),
        "max_request_bytes": top.integer("max_request_bytes", 16_384, low=1_024, high=1_048_576),
        "keys": _read_keys(Reader(top.table_of("keys"), "keys.", problems), base_dir),
        "argon2": _read_argon2(Reader(top.table_of("argon2"), "argon2.", problems)),
        "throttle": _read_throttle(Reader(top.table_of("throttle"), "throttle.", problems)),
        "registry": _read_registry(Reader(top.table_of("registry"), "registry.", problems)),
    }
    values["clients"] = MappingProxyType(_read_clients(top, values["registry"], values["argon2"]))
    if problems:
        raise ConfigError(problems)
    return Settings(**values)


def _resolve(base_dir: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base_dir / path


def _read_keys(reader: Reader, base_dir: Path) -> KeySettings | None:
    reader.reject_unknown({"active", "retired", "upcoming"})
    active = reader.string("active")
    retired: list[RetiredKeyFile] = []
    for index, table in enumerate(reader.list_of_tables("retired")):
        item = Reader(table, f"keys.retired[{index}].", reader.problems)
        item.reject_unknown({"path", "retired_at"})
        path = item.string("path")
        retired_at = _read_datetime(item, "retired_at")
        if path is not None and retired_at is not None:
            retired.append(RetiredKeyFile(_resolve(base_dir, path), retired_at))
    upcoming = reader.table.get("upcoming", [])
    if not isinstance(upcoming, list) or not all(isinstance(p, str) and p for p in upcoming):
        reader.fail("upcoming", "must be an array of key file paths")
        upcoming = []
    if active is None:
        return None
    return KeySettings(
        active=_resolve(base_dir, active),
        retired=tuple(retired),
        upcoming=tuple(_resolve(base_dir, p) for p in upcoming),
    )


def _read_datetime(reader: Reader, key: str) -> datetime | None:
    value = reader.table.get(key)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            value = None
    if not isinstance(value, datetime) or value.tzinfo is None:
        reader.fail(key, "must be a date-time with a UTC offset, e.g. 2026-01-01T00:00:00Z")
        return None
    return value.astimezone(UTC)


def _read_argon2(reader: Reader) -> Argon2Settings | None:
    reader.reject_unknown({"time_cost", "memory_cost_kib", "parallelism"})
    time_cost = reader.integer("time_cost", 3, low=1, high=20)
    memory = reader.integer("memory_cost_kib", 65536, low=8, high=4 * 1024 * 1024)
    parallelism = reader.integer("parallelism", 4, low=1, high=64)
    if time_cost is None or memory is None or parallelism is None:
        return None
    if memory < 8 * parallelism:
        reader.fail("memory_cost_kib", "must be at least 8 KiB per lane (8 * parallelism)")
        return None
    return Argon2Settings(time_cost, memory, parallelism)


def _read_throttle(reader: Reader) -> ThrottleSettings | None:
    reader.reject_unknown({"failures_per_client", "failures_per_address", "trusted_proxy_hops"})
    defaults = ThrottleSettings()
    per_client = _rate_limit(reader, "failures_per_client", defaults.failures_per_client)
    per_address = _rate_limit(reader, "failures_per_address", defaults.failures_per_address)
    hops = reader.integer("trusted_proxy_hops", defaults.trusted_proxy_hops, low=0, high=5)
    if per_client is None or per_address is None or hops is None:
        return None
    return ThrottleSettings(per_client, per_address, hops)


def _rate_limit(reader: Reader, key: str, default: str) -> str | None:
    value = reader.string(key, default)
    if value is None:
        return None
    try:
        parse_rate_limit(value)
    except ValueError:
        reader.fail(key, "must look like '10/minute'")
        return None
    return value


def _read_registry(reader: Reader) -> RegistrySettings | None:
    reader.reject_unknown({"source", "url", "timeout_seconds", "retries"})
    source = reader.string("source", "config")
    timeout = reader.number("timeout_seconds", 2.0, low=0.05, high=60.0)
    retries = reader.integer("retries", 2, low=0, high=5)
    url: str | None = None
    if source == "directory":
        url = reader.url("url", schemes=("https", "http"))
    elif source != "config" and source is not None:
        reader.fail("source", 'must be "config" or "directory"')
    if source is None or timeout is None or retries is None:
        return None
    return RegistrySettings(source, url, timeout, retries)  # type: ignore[arg-type]


def _read_clients(
    top: Reader, registry: RegistrySettings | None, argon2_costs: Argon2Settings | None
) -> dict[str, ClientRecord]:
    clients: dict[str, ClientRecord] = {}
    tables = top.list_of_tables("clients")
    for index, table in enumerate(tables):
        record = parse_client(table, f"clients[{index}].", top.problems)
        if record is not None and record.secret_hash is not None and argon2_costs is not None:
            costs = Argon2Settings.of_hash(record.secret_hash)
            # Verifying such a hash would take another time than the decoy an
            # unknown client costs: the response time would tell ids apart.
            if costs is not None and costs != argon2_costs:
                top.fail(
                    f"clients[{index}].secret_hash",
                    f"hashed with {costs.describe()} but [argon2] is {argon2_costs.describe()};"
                    " hash it again with `python -m apps.auth_service hash-secret`",
                )
        if record is not None and record.client_id in clients:
            top.fail(f"clients[{index}].client_id", "is a duplicate")
        elif record is not None:
            clients[record.client_id] = record
    if not tables and registry is not None and registry.source == "config":
        top.fail("clients", "at least one client is required when registry.source is config")
    return clients
