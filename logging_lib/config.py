"""Typed configuration of logging_lib, validated as a whole.

A :class:`LoggingConfig` is checked when it is built: every problem is
collected and reported in one :class:`LoggingConfigError`. The environment is
read only by :meth:`LoggingConfig.from_environ`, and only ``LOG_*`` variables.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

SINK_NAMES = frozenset({"stdout", "stderr", "file", "http", "memory"})
FORMATS = ("json", "console")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class LoggingConfigError(ValueError):
    """The configuration is invalid; ``problems`` lists each reason."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid logging configuration: " + "; ".join(self.problems))


@dataclass(frozen=True)
class LoggingConfig:
    """How events are rendered, filtered and where they go.

    Attributes:
        level: minimum level, one of DEBUG, INFO, WARNING, ERROR, CRITICAL
            (any case); applies to structlog and stdlib loggers alike.
        format: ``json`` (one JSON object per line) or ``console`` (readable text).
        sinks: built-in sinks to write to: stdout, stderr, file, http, memory.
        file_path: the log file, required by the ``file`` sink.
        file_max_bytes: size at which the log file is rotated.
        file_backup_count: rotated files kept next to it.
        http_url: collector endpoint (http or https), required by the ``http`` sink.
        http_timeout: seconds per POST to the collector.
        http_batch_size: lines per POST.
        http_max_retries: further attempts after a failed POST.
        queue_size: lines waiting for the dispatcher before new ones are dropped.
        synchronous: deliver on the caller's thread (tests, short scripts).
        redact_keys: further key names whose values are always redacted.
    """

    level: str = "INFO"
    format: Literal["json", "console"] = "json"
    sinks: tuple[str, ...] = ("stderr",)
    file_path: Path | None = None
    file_max_bytes: int = 10 * 1024 * 1024
    file_backup_count: int = 5
    # The URL may carry credentials (user:password@host, a token parameter).
    http_url: str | None = field(default=None, repr=False)
    http_timeout: float = 5.0
    http_batch_size: int = 100
    http_max_retries: int = 3
    queue_size: int = 10_000
    synchronous: bool = False
    redact_keys: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        problems = _validate(self)
        if problems:
            raise LoggingConfigError(problems)

    @property
    def level_number(self) -> int:
        """The stdlib number of :attr:`level`."""
        return logging.getLevelNamesMapping()[self.level.upper()]

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> LoggingConfig:
        """Build a configuration from ``LOG_*`` variables of *environ*; unset ones keep defaults.

        ``LOG_LEVEL``, ``LOG_FORMAT``, ``LOG_SINKS`` (comma-separated),
        ``LOG_FILE_PATH``, ``LOG_FILE_MAX_BYTES``, ``LOG_FILE_BACKUP_COUNT``,
        ``LOG_HTTP_URL``, ``LOG_HTTP_TIMEOUT``, ``LOG_HTTP_BATCH_SIZE``,
        ``LOG_HTTP_MAX_RETRIES``, ``LOG_QUEUE_SIZE``, ``LOG_SYNCHRONOUS``
        (true/false/1/0/yes/no), ``LOG_REDACT_KEYS`` (comma-separated).
        """
        values: dict[str, Any] = {}
        problems: list[str] = []
        for item in fields(cls):
            variable = f"LOG_{item.name.upper()}"
            raw = environ.get(variable)
            if raw is None:
                continue
            try:
                values[item.name] = _PARSERS[item.name](raw.strip())
            except ValueError as exc:
                problems.append(f"{variable}={raw!r}: {exc}")
        try:
            config = cls(**values)
        except LoggingConfigError as exc:
            problems += exc.problems
        if problems:
            raise LoggingConfigError(problems)
        return config


def _validate(config: LoggingConfig) -> list[str]:
    problems: list[str] = []
    if not isinstance(config.level, str) or config.level.upper() not in LEVELS:
        problems.append(f"level {config.level!r} is not one of {', '.join(LEVELS)}")
    if config.format not in FORMATS:
        problems.append(f"format {config.format!r} is not one of {', '.join(FORMATS)}")
    unknown = sorted(set(config.sinks) - SINK_NAMES)
    if unknown:
        problems.append(
            f"unknown sink(s) {', '.join(unknown)}; known: {', '.join(sorted(SINK_NAMES))}"
        )
    if "file" in config.sinks and config.file_path is None:
        problems.append("the file sink needs file_path")
    if "http" in config.sinks and config.http_url is None:
        problems.append("the http sink needs http_url")
    if config.http_url is not None and not _is_http_url(config.http_url):
        problems.append(f"http_url {config.http_url!r} is not an http(s) URL with a host")
    for name in ("file_max_bytes", "http_batch_size", "queue_size"):
        if getattr(config, name) <= 0:
            problems.append(f"{name} must be positive, got {getattr(config, name)}")
    for name in ("file_backup_count", "http_max_retries"):
        if getattr(config, name) < 0:
            problems.append(f"{name} must not be negative, got {getattr(config, name)}")
    if config.http_timeout <= 0:
        problems.append(f"http_timeout must be positive, got {config.http_timeout}")
    return problems


def _is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _parse_int(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ValueError("not an integer") from None


def _parse_float(raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise ValueError("not a number") from None


def _parse_bool(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("not a boolean (true/false)")


def _parse_list(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


_PARSERS: dict[str, Callable[[str], Any]] = {
    "level": str,
    "format": str,
    "sinks": _parse_list,
    "file_path": Path,
    "file_max_bytes": _parse_int,
    "file_backup_count": _parse_int,
    "http_url": str,
    "http_timeout": _parse_float,
    "http_batch_size": _parse_int,
    "http_max_retries": _parse_int,
    "queue_size": _parse_int,
    "synchronous": _parse_bool,
    "redact_keys": _parse_list,
}
