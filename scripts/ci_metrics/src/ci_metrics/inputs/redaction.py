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
# string or one word (with the auth scheme before it, if any). Keys are found
# without their values, so a value never hides the key that follows it
# ("failed: token=..." has the keys "failed" and "token").
_KEY = re.compile(
    r"""(?<![\w-])(?P<key>[A-Za-z_][\w-]*)(?P<close>['"]?)(?P<sep>[ \t]*[:=][ \t]*)"""
)
_VALUE = re.compile(
    r"""(?:(?:Bearer|Basic)[ \t]+)?(?:'[^']*'|"[^"]*"|[^\s,;)}\]]+)""", re.IGNORECASE
)


def is_secret_key(key: str) -> bool:
    """Whether a value written after ``key`` must be hidden."""
    name = key.lower().replace("-", "_")
    return name in SECRET_KEYS or name.endswith(SECRET_SUFFIXES)


def _redact_values(text: str) -> str:
    parts, done = [], 0
    for key in _KEY.finditer(text):
        if key.start() < done or not is_secret_key(key.group("key")):
            continue
        value = _VALUE.match(text, key.end())
        if value is None:
            continue
        quote = value.group(0)[0] if value.group(0)[0] in "'\"" else ""
        parts += [text[done : key.end()], f"{quote}{REDACTED}{quote}"]
        done = value.end()
    return "".join(parts) + text[done:]


def redact_text(text: str) -> str:
    """``text`` without credentials, JWTs and the values of secret keys."""
    # Keys first: a value already replaced would no longer read as one word.
    text = _redact_values(text)
    if "eyJ" in text:
        text = JWT.sub(REDACTED, text)
    return SCHEME_CREDENTIAL.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
