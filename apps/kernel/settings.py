"""The configuration idiom of the services: pydantic models, one error listing every problem.

Each service declares its settings as frozen pydantic models
(:data:`SETTINGS_CONFIG`): a field's type and bounds are its parser
(``Field(gt=0, le=300)``, the ``Annotated`` URL and rate-limit rules below),
secrets are ``repr=False``. Each builds them with ``Settings.from_environ(environ)``
and raises its own subclass of :class:`SettingsError`, made from pydantic's
``ValidationError`` by :meth:`SettingsError.from_validation`: one line naming
every problem as the user wrote it (``API_JWKS_URL``, ``clients[2].secret_hash``)
and never a value, since a misplaced secret must not reach a log through an
error message.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Annotated, Any, Self
from urllib.parse import urlsplit

from limits import parse as parse_rate_limit
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

#: Frozen, no unknown fields, no input values in pydantic's own messages.
SETTINGS_CONFIG = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)


class SettingsModel(BaseModel):
    """Base of every settings model of the services (:data:`SETTINGS_CONFIG`)."""

    model_config = SETTINGS_CONFIG


#: How alike (difflib's ratio) an unknown name must be to a known one to count as its typo.
TYPO_CUTOFF = 0.8

#: Hosts whose traffic never leaves the machine, so plain http cannot be tampered with.
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

Location = tuple[int | str, ...]


class SettingsError(ValueError):
    """Settings are missing, unreadable or invalid; ``problems`` lists every one.

    The message is ``invalid <subject>: <problem>; <problem>``, on one line and
    without a value. Each service subclasses it to name its :attr:`subject`.
    """

    subject = "settings"

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__(f"invalid {self.subject}: {one_line(self.problems)}")

    @classmethod
    def from_validation(
        cls,
        error: ValidationError,
        *,
        name: Callable[[Location], str] | None = None,
        known: Collection[str] = (),
    ) -> Self:
        """The error listing pydantic's problems (:func:`problems_of`)."""
        return cls(problems_of(error, name=name, known=known))


#: Our wording for pydantic's error types; ``{...}`` takes the error's context.
_MESSAGES = {
    "missing": "is required",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be a string",
    "string_too_short": "must not be empty",
    "string_pattern_mismatch": "must match {pattern}",
    "greater_than": "must be greater than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be at most {le}",
    "literal_error": "must be one of {expected}",
    "too_short": "must have at least {min_length} item(s)",
    "list_type": "must be an array",
    "tuple_type": "must be an array",
    "dict_type": "must be a table",
    "model_type": "must be a table",
    "model_attributes_type": "must be a table",
    "path_type": "must be a path",
    "datetime_type": "must be a date-time",
    "datetime_parsing": "must be a date-time",
    "datetime_from_date_parsing": "must be a date-time",
    "timezone_aware": "must be a date-time with a UTC offset, e.g. 2026-01-01T00:00:00Z",
}


def problems_of(
    error: ValidationError,
    *,
    name: Callable[[Location], str] | None = None,
    known: Collection[str] = (),
) -> list[str]:
    """One ``"<field>: <problem>"`` line per error, in the order pydantic found them.

    ``name`` renders a location as the user wrote it (default: TOML-style
    ``clients[2].secret_hash``). ``known`` lists the valid names, so an unknown
    one is answered with the closest known name, if there is one.
    """
    render = name or dotted_name
    lines: list[str] = []
    for item in error.errors(include_input=False, include_url=False):
        where = render(tuple(item["loc"]))
        lines.append(f"{where}: {_message(item, where, known)}")
    return lines


def dotted_name(location: Location) -> str:
    """``("clients", 2, "secret_hash")`` as ``clients[2].secret_hash``."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "(configuration)"


def _message(item: Any, where: str, known: Collection[str]) -> str:
    kind = item["type"]
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(where, list(known), n=1, cutoff=TYPO_CUTOFF)
        return "is not a known setting" + (f" (did you mean {close[0]}?)" if close else "")
    if kind in ("value_error", "assertion_error"):
        # Our validators raise ValueError with the problem in our own words.
        return str(item["ctx"]["error"])
    template = _MESSAGES.get(kind)
    if template is None:
        return str(item["msg"])
    return template.format(**{k: _plain(v) for k, v in item.get("ctx", {}).items()})


def _plain(value: object) -> object:
    return value.replace("'", "") if isinstance(value, str) else value


def environment_values(
    environ: Mapping[str, str], prefix: str, fields: Collection[str]
) -> dict[str, str]:
    """The non-blank ``<prefix>*`` variables of ``environ`` as ``{field: value}``.

    The environment is shared with everything else in the process's world (a
    Kubernetes Service named ``api`` gives every pod ``API_SERVICE_HOST`` and
    ``API_PORT``), so an unknown variable is ignored, unless its name is close
    to a known one: that is a typo (``API_RATE_LIMT``) which would leave the
    default in force without a word, so it is kept for validation to refuse.
    """
    known = {prefix + field.upper() for field in fields}
    values = {}
    for name, raw in environ.items():
        if not name.startswith(prefix) or not raw.strip():
            continue
        if name in known or difflib.get_close_matches(name, known, n=1, cutoff=TYPO_CUTOFF):
            values[name.removeprefix(prefix).lower()] = raw.strip()
    return values


def one_line(problems: Iterable[str]) -> str:
    """The problems joined on one line, as the services' settings errors print them."""
    return "; ".join(problems)


# -- field rules shared by both services -------------------------------------------------


def _secure_http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        # Keys, issuers and client records decide who is trusted: fetched in
        # clear text from another host, anyone on the path could swap them.
        raise ValueError("must use https (plain http only for loopback hosts)")
    return value


def _without_query(value: str) -> str:
    parts = urlsplit(value)
    if parts.query or parts.fragment:
        raise ValueError("must not have a query or fragment")
    return value


def _rate_limit(value: str) -> str:
    try:
        parse_rate_limit(value)
    except ValueError:
        raise ValueError("must look like '100/minute' or '10 per second'") from None
    return value


#: An https URL; plain http only to a loopback host.
SecureHttpUrl = Annotated[str, AfterValidator(_secure_http_url)]
#: A :data:`SecureHttpUrl` without query or fragment (issuer identifiers, base URLs).
SecureBaseUrl = Annotated[str, AfterValidator(_secure_http_url), AfterValidator(_without_query)]
#: A ``limits`` rate such as ``100/minute``.
RateLimit = Annotated[str, AfterValidator(_rate_limit)]


def storage_url(schemes: Collection[str]) -> AfterValidator:
    """A rule for store URLs: exactly ``memory://``, or a URL of one of the other ``schemes``."""
    remote = ", ".join(f"{scheme}://" for scheme in sorted(set(schemes) - {"memory"}))

    def check(value: str) -> str:
        # Only the scheme is named back: the URL may hold a password.
        scheme, separator, rest = value.partition("://")
        if scheme not in schemes or not separator or (scheme == "memory") == bool(rest):
            raise ValueError(f"must be memory:// or a URL starting with {remote}")
        return value

    return AfterValidator(check)
