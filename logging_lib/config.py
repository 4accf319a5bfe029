"""Typed configuration of logging_lib, validated as a whole.

A :class:`LoggingConfig` is a frozen pydantic model, checked when it is built:
every problem is collected and reported in one :class:`LoggingConfigError`, on
one line, naming each field (or, from :meth:`LoggingConfig.from_environ`, each
``LOG_*`` variable) and never echoing a value. The environment is read only by
:meth:`LoggingConfig.from_environ`, and only ``LOG_*`` variables: one whose name
is close to a known one is refused, since a typo such as ``LOG_REDACT_KEY``
would silently leave secrets unredacted; other names are ignored (the
environment is shared with other programs).
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

PREFIX = "LOG_"
SINK_NAMES = frozenset({"stdout", "stderr", "file", "http", "memory"})
FORMATS = ("json", "console")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class LoggingConfigError(ValueError):
    """The configuration is invalid; ``problems`` lists each reason."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid logging configuration: " + "; ".join(self.problems))


class _InvalidFields(LoggingConfigError):
    """Problems of named fields, which :meth:`LoggingConfig.from_environ` renames."""

    def __init__(self, error: ValidationError, name: Callable[[str], str] = str) -> None:
        self.found = [
            (
                str(item["loc"][0]) if item["loc"] else "config",
                "is not a known setting"
                if item["type"] == "extra_forbidden"
                # pydantic's messages name the expectation, never the value.
                else item["msg"].removeprefix("Value error, "),
            )
            for item in error.errors(include_input=False, include_url=False)
        ]
        super().__init__([f"{name(field)}: {message}" for field, message in self.found])

    def renamed(self, name: Callable[[str], str]) -> LoggingConfigError:
        return LoggingConfigError([f"{name(field)}: {message}" for field, message in self.found])


def _comma_separated(value: object) -> object:
    """``"stdout, file ,"`` as ``("stdout", "file")``; other values unchanged."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


Names = Annotated[tuple[str, ...], BeforeValidator(_comma_separated)]
Positive = Annotated[int, Field(gt=0)]
Seconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class LoggingConfig(BaseModel):
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
        http_max_retries: further attempts after a failed POST (jittered backoff).
        http_retry_budget_seconds: the most one batch may take, retries included.
        queue_size: lines waiting for the dispatcher before new ones are dropped.
        synchronous: deliver on the caller's thread (tests, short scripts).
        redact_keys: further key names whose values are always redacted.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    level: str = "INFO"
    format: Literal["json", "console"] = "json"
    sinks: Names = ("stderr",)
    file_path: Path | None = Field(default=None, validate_default=True)
    file_max_bytes: Positive = 10 * 1024 * 1024
    file_backup_count: Annotated[int, Field(ge=0)] = 5
    # The URL may carry credentials (user:password@host, a token parameter).
    http_url: str | None = Field(default=None, repr=False, validate_default=True)
    http_timeout: Seconds = 5.0
    http_batch_size: Positive = 100
    http_max_retries: Annotated[int, Field(ge=0)] = 3
    http_retry_budget_seconds: Seconds = 30.0
    queue_size: Positive = 10_000
    synchronous: bool = False
    redact_keys: Names = ()

    if not TYPE_CHECKING:  # type checkers keep pydantic's typed __init__

        def __init__(self, **values: Any) -> None:
            try:
                super().__init__(**values)
            except ValidationError as exc:
                raise _InvalidFields(exc) from None

    @field_validator("level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.upper() not in LEVELS:
            raise ValueError(f"must be one of {', '.join(LEVELS)}")
        return value

    @field_validator("sinks")
    @classmethod
    def _known_sinks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - SINK_NAMES)
        if unknown:
            raise ValueError(f"unknown sink(s); known: {', '.join(sorted(SINK_NAMES))}")
        return value

    @field_validator("file_path")
    @classmethod
    def _file_sink_has_a_path(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is None and "file" in info.data.get("sinks", ()):
            raise ValueError("is required by the file sink")
        return value

    @field_validator("http_url")
    @classmethod
    def _http_sink_has_a_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            if "http" in info.data.get("sinks", ()):
                raise ValueError("is required by the http sink")
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL with a host")
        return value

    @property
    def level_number(self) -> int:
        """The stdlib number of :attr:`level`."""
        return logging.getLevelNamesMapping()[self.level.upper()]

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> LoggingConfig:
        """Build a configuration from the ``LOG_*`` variables of *environ*; unset ones default.

        ``LOG_LEVEL``, ``LOG_FORMAT``, ``LOG_SINKS`` (comma-separated),
        ``LOG_FILE_PATH``, ``LOG_FILE_MAX_BYTES``, ``LOG_FILE_BACKUP_COUNT``,
        ``LOG_HTTP_URL``, ``LOG_HTTP_TIMEOUT``, ``LOG_HTTP_BATCH_SIZE``,
        ``LOG_HTTP_MAX_RETRIES``, ``LOG_HTTP_RETRY_BUDGET_SECONDS``,
        ``LOG_QUEUE_SIZE``, ``LOG_SYNCHRONOUS`` (true/false/1/0/yes/no/on/off),
        ``LOG_REDACT_KEYS`` (comma-separated). A ``LOG_*`` variable whose name
        is close to one of these is refused as a typo; other ``LOG_*`` names
        belong to someone else and are ignored.
        """
        # Strings, parsed by each field's type (pydantic's lax mode: "30" -> 30).
        # The environment is shared: an unknown LOG_* name is ignored unless it
        # is close to a known one, i.e. a typo that must not pass unnoticed.
        known = {PREFIX + field.upper() for field in cls.model_fields}
        values: dict[str, Any] = {
            name.removeprefix(PREFIX).lower(): raw.strip()
            for name, raw in environ.items()
            if name.startswith(PREFIX)
            and (name in known or difflib.get_close_matches(name, known, n=1, cutoff=0.8))
        }
        try:
            return cls(**values)
        except _InvalidFields as exc:
            raise exc.renamed(lambda field: PREFIX + field.upper()) from None
