"""Redaction of secrets from event dicts, before any renderer sees them.

:func:`logging_lib.processors.build_post_chain` puts the processor built here
ahead of the renderer unconditionally: sinks receive rendered text only, so
nothing they do can bypass it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from structlog.typing import EventDict, WrappedLogger

from logging_lib.processors import safe_repr

# ci-metrics installs alone and cannot import this package, so ci_metrics.inputs.redaction
# copies these keys, suffixes and patterns; tests/unit/scripts/test_redaction_rules.py
# fails when the copies part.
REDACTED = "[REDACTED]"
#: Shown where a container recurs inside itself.
CYCLE = "[CYCLE]"

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

# Containers nested deeper than this are replaced whole: such depth is almost
# always an accident, and walking it would stall the caller.
_MAX_DEPTH = 20
# Bound on remembered key verdicts, in case keys are generated (ids as keys).
_MAX_VERDICTS = 4096
# Values that can hold no secret text; checked by exact type for speed.
_SCALARS = frozenset({int, float, bool, type(None)})
# Built once: a union written in the function would be rebuilt on every call.
_NUMBERS = (int, float)
_SEQUENCES = (list, tuple, set, frozenset)
_MAPPINGS = (dict, Mapping)  # concrete dict first: the ABC's check is slow


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

    What a renderer would show is what gets checked. Values under secret keys
    become ``[REDACTED]``; text loses its credentials (:func:`redact_text`);
    containers are walked 20 levels deep, a deeper one is replaced whole, and
    one that contains itself shows ``[CYCLE]`` where it recurs. Mappings come
    back as dicts, tuples and sets as lists. Any other object becomes its
    ``repr`` with credentials removed: the text a renderer would print. A
    value that cannot be walked (a mapping that raises while iterated) is
    replaced whole, so redaction never raises into the logging call.

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
        verdict = self._verdicts.get(key)  # pragma: no mutate - cache; a miss judges anew
        if verdict is None:
            name = normalise_key(key)
            verdict = name in self._keys or name.endswith(_SECRET_SUFFIXES)
            if len(self._verdicts) < _MAX_VERDICTS:  # pragma: no mutate - bounds memory only
                self._verdicts[key] = verdict  # pragma: no mutate - cache; see above
        return verdict

    def __call__(self, logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
        # The top-level dict is the event's own (structlog builds a fresh one
        # per call) and is edited in place; nested values belong to the caller
        # and are copied when redacted.
        verdicts = self._verdicts
        for key, value in event_dict.items():
            secret = verdicts.get(key)  # pragma: no mutate - cache; a miss judges anew
            if secret is None:
                secret = self.is_secret_key(key)
            if secret:
                event_dict[key] = REDACTED
            elif type(value) in _SCALARS:
                continue
            elif isinstance(value, str):
                if "eyJ" in value or " " in value or "\t" in value:
                    event_dict[key] = redact_text(value)
            elif not isinstance(value, _NUMBERS):
                try:
                    event_dict[key] = self._redact_other(value, 1, set())
                except Exception:  # noqa: BLE001 - what cannot be checked is not shown
                    event_dict[key] = REDACTED
        return event_dict

    def _redact_value(self, value: Any, depth: int, walking: set[int]) -> Any:
        """*value* as it may be shown; it is *depth* containers deep, inside those in *walking*."""
        if isinstance(value, str):
            return redact_text(value)
        if value is None or isinstance(value, _NUMBERS):
            return value
        return self._redact_other(value, depth, walking)

    def _redact_other(self, value: Any, depth: int, walking: set[int]) -> Any:
        """:meth:`_redact_value` of what is neither text nor a number."""
        walk: Callable[[Any, int, set[int]], Any]
        if isinstance(value, _SEQUENCES):
            walk = self._redact_items
        elif isinstance(value, _MAPPINGS):
            walk = self._redact_mapping
        else:
            return redact_text(safe_repr(value))
        if id(value) in walking:
            return CYCLE
        if depth > _MAX_DEPTH:
            return REDACTED
        # Only the containers around this one: a value shared by two keys is
        # no cycle. After an exception the set is thrown away with the walk.
        walking.add(id(value))
        shown = walk(value, depth + 1, walking)
        walking.remove(id(value))
        return shown

    def _redact_items(self, items: Iterable[Any], depth: int, walking: set[int]) -> list[Any]:
        return [self._redact_value(item, depth, walking) for item in items]

    def _redact_mapping(
        self, mapping: Mapping[Any, Any], depth: int, walking: set[int]
    ) -> dict[Any, Any]:
        return {
            key: REDACTED if self.is_secret_key(key) else self._redact_value(item, depth, walking)
            for key, item in mapping.items()
        }
