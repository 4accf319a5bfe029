"""Scope requests (RFC 6749 section 3.3) limited to what a client may have."""

from __future__ import annotations

from apps.auth_service.clients import SCOPE_TOKEN
from apps.auth_service.errors import InvalidScope


def grant_scopes(requested: str | None, allowed: tuple[str, ...]) -> tuple[str, ...]:
    """The scopes to grant: all allowed ones if none requested, else exactly those requested.

    Raises ``InvalidScope`` for a malformed request or any scope the client may not have.
    """
    if requested is None or requested == "":
        return allowed
    tokens = requested.split(" ")
    if not all(SCOPE_TOKEN.fullmatch(token) for token in tokens):
        raise InvalidScope("scope must be space-separated scope tokens")
    unique = tuple(dict.fromkeys(tokens))
    if not set(unique) <= set(allowed):
        raise InvalidScope("the requested scope exceeds the scope granted to the client")
    return unique
