"""Redaction of secrets from event dicts, before any renderer sees them.

The processor built here is inserted by :func:`logging_lib.processors.build_pipeline`
ahead of the renderer unconditionally: sinks receive rendered text only, so
nothing they do can bypass it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from structlog.typing import EventDict, WrappedLogger

REDACTED = "[REDACTED]"

#: Keys whose values are always replaced (compared lower-cased, with ``-`` read as ``_``).
DEFAULT_SECRET_KEYS: frozenset[str] = frozenset(
    {
        "authorization",
        "proxy_authorization",
        "cookie",
        "set_cookie",
        "password",
        "passwd",
        "secret",
        "client_secret",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "api_key",
        "apikey",
        "private_key",
    }
)

# A key that merely ends in one of these (``db_password``, ``csrf_token``) is a
# secret too; ``token_type`` or ``password_policy`` are not.
_SECRET_SUFFIXES = ("_password", "_secret", "_token", "_api_key", "_private_key")

# Credentials embedded in free text: an HTTP auth scheme followed by a
# credential-like word (8+ token characters, so prose such as "the bearer of"
# survives), and anything shaped like a JWT (three base64url segments, the
# first starting with the encoding of '{"').
_SCHEME_CREDENTIAL = re.compile(r"\b(Bearer|Basic)[ \t]+[A-Za-z0-9\-._~+/]{8,}=*", re.IGNORECASE)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")

# Nested structures deeper than this are replaced wholesale: a value that deep
# is almost certainly a cycle or an accident, and walking it would stall the caller.
_MAX_DEPTH = 20
# Bound on remembered key verdicts, in case keys are generated (ids as keys).
_MAX_VERDICTS = 4096
# Values that can hold no secret text; checked by exact type for speed.
_SCALARS = frozenset({int, float, bool, type(None)})


def normalise_key(key: str) -> str:
    """Return *key* in the form secret-key lists are compared in."""
    return key.lower().replace("-", "_")


def redact_text(text: str) -> str:
    """Replace bearer/basic credentials and JWT-shaped strings inside *text*."""
    # Substring tests are far cheaper than a regex scan and rule out most
    # values: a JWT contains "eyJ", a scheme credential a blank.
    if "eyJ" in text:
        text = _JWT.sub(REDACTED, text)
    if " " in text or "\t" in text:
        text = _SCHEME_CREDENTIAL.sub(_replace_credential, text)
    return text


def _replace_credential(match: re.Match[str]) -> str:
    return f"{match.group(1)} {REDACTED}"


class Redactor:
    """A structlog processor replacing secret values, however deeply nested.

    Args:
        extra_keys: further key names to treat as secrets, on top of
            :data:`DEFAULT_SECRET_KEYS`.
    """

    def __init__(self, extra_keys: Iterable[str] = ()) -> None:
        self._keys = DEFAULT_SECRET_KEYS | {normalise_key(k) for k in extra_keys}
        # Events reuse a small vocabulary of keys; remembering each verdict
        # keeps the per-event cost at one dict lookup per key.
        self._verdicts: dict[str, bool] = {}

    def is_secret_key(self, key: object) -> bool:
        """Tell whether a value stored under *key* must be hidden."""
        if not isinstance(key, str):
            return False
        verdict = self._verdicts.get(key)
        if verdict is None:
            name = normalise_key(key)
            verdict = name in self._keys or name.endswith(_SECRET_SUFFIXES)
            if len(self._verdicts) < _MAX_VERDICTS:
                self._verdicts[key] = verdict
        return verdict

    def __call__(self, logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
        # The top-level dict is the event's own (structlog builds a fresh one
        # per call) and is edited in place; nested values belong to the caller
        # and are copied when redacted.
        verdicts = self._verdicts
        for key, value in event_dict.items():
            secret = verdicts.get(key)
            if secret is None:
                secret = self.is_secret_key(key)
            if secret:
                event_dict[key] = REDACTED
            elif type(value) in _SCALARS:
                continue
            elif type(value) is str:
                if "eyJ" in value or " " in value or "\t" in value:
                    event_dict[key] = redact_text(value)
            else:
                event_dict[key] = self._redact_value(value, 1)
        return event_dict

    def _redact_mapping(self, mapping: Mapping[Any, Any], depth: int) -> dict[Any, Any]:
        return {
            key: REDACTED if self.is_secret_key(key) else self._redact_value(value, depth + 1)
            for key, value in mapping.items()
        }

    def _redact_value(self, value: Any, depth: int) -> Any:
        if isinstance(value, str):
            return redact_text(value)
        if depth > _MAX_DEPTH:
            return REDACTED if isinstance(value, Mapping | list | tuple) else value
        if isinstance(value, Mapping):
            return self._redact_mapping(value, depth)
        if isinstance(value, list | tuple):
            return [self._redact_value(item, depth + 1) for item in value]
        return value
