"""Secrets removed from text a test run wrote (a failure's message), before anything keeps it.

The rules are the repository's log redaction's (``logging_lib/redaction.py``),
applied to text: ci-metrics installs alone and does not import logging_lib, so
they are written again here, and a test of the tooling layer checks that both
keep the same keys and patterns.

* an HTTP auth scheme followed by a credential-like word (``Bearer``/``Basic``
  and 8+ token characters, so prose such as "the bearer of" survives);
* anything shaped like a JWT (three base64url segments, the first the encoding
  of ``{"``);
* the value after a secret key (``password=...``, ``'client_secret': '...'``,
  ``Authorization: ...``): a key is secret when it is one of
  :data:`SECRET_KEYS` or ends in one of :data:`SECRET_SUFFIXES`, compared
  lower-cased with ``-`` read as ``_`` (``token_type`` is not a secret).
"""

from __future__ import annotations

import re

REDACTED = "[REDACTED]"

#: Keys whose values are always replaced (logging_lib's ``DEFAULT_SECRET_KEYS``).
SECRET_KEYS: frozenset[str] = frozenset(
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
#: A key that ends in one of these is a secret too (``db_password``, ``csrf_token``).
SECRET_SUFFIXES = ("_password", "_secret", "_token", "_api_key", "_private_key")

SCHEME_CREDENTIAL = re.compile(r"\b(Bearer|Basic)[ \t]+[A-Za-z0-9\-._~+/]{8,}=*", re.IGNORECASE)
JWT = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# key = value, key: value, 'key': 'value', "key"="value"; the value is a quoted
# string or one word (with the auth scheme before it, if any).
_KEY_VALUE = re.compile(
    r"""(?P<key>[A-Za-z_][A-Za-z0-9_-]*)(?P<close>['"]?)(?P<sep>[ \t]*[:=][ \t]*)"""
    r"""(?P<value>(?:(?:Bearer|Basic)[ \t]+)?(?:'[^']*'|"[^"]*"|[^\s,;)}\]]+))""",
    re.IGNORECASE,
)


def is_secret_key(key: str) -> bool:
    """Whether a value written after ``key`` must be hidden."""
    name = key.lower().replace("-", "_")
    return name in SECRET_KEYS or name.endswith(SECRET_SUFFIXES)


def _replace_value(match: re.Match[str]) -> str:
    if not is_secret_key(match.group("key")):
        return match.group(0)
    value = match.group("value")
    quote = value[0] if value[0] in "'\"" else ""
    return f"{match.group('key')}{match.group('close')}{match.group('sep')}{quote}{REDACTED}{quote}"


def redact_text(text: str) -> str:
    """``text`` without credentials, JWTs and the values of secret keys."""
    # Keys first: a value already replaced would no longer read as one word.
    text = _KEY_VALUE.sub(_replace_value, text)
    if "eyJ" in text:
        text = JWT.sub(REDACTED, text)
    return SCHEME_CREDENTIAL.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
