"""Exceptions of the token service.

``OAuthError`` subclasses map one-to-one onto the error responses of
RFC 6749 section 5.2; the others are start-up and infrastructure failures.
"""

from __future__ import annotations


class KeyFileError(ValueError):
    """A signing key file is unreadable, malformed, unsupported or too widely readable."""


class ReplayCacheUnavailable(RuntimeError):
    """The replay cache cannot answer; callers must fail closed."""


class RegistryUnavailable(RuntimeError):
    """The client directory service cannot answer; callers must fail closed."""


class OAuthError(Exception):
    """An error response of the token endpoint (RFC 6749 section 5.2)."""

    error = "invalid_request"
    status = 400

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class InvalidRequest(OAuthError):
    """The request is malformed: missing, repeated or wrongly typed parameters."""


class InvalidClient(OAuthError):
    """Client authentication failed (unknown client, bad secret, bad assertion)."""

    error = "invalid_client"
    status = 401

    def __init__(self, description: str, *, reason: str, client_id: str | None = None) -> None:
        super().__init__(description)
        #: A short, fixed label for metrics and audit events.
        self.reason = reason
        #: The client id the request claimed, if well formed (for audit events only).
        self.client_id = client_id


class InvalidScope(OAuthError):
    """The requested scope is malformed or exceeds what the client may request."""

    error = "invalid_scope"


class UnsupportedGrantType(OAuthError):
    """The grant type is not ``client_credentials``."""

    error = "unsupported_grant_type"


class SlowDown(OAuthError):
    """Too many failed authentications for this client id or address (429).

    ``slow_down`` is the token-endpoint error code RFC 8628 registered for a
    client that must wait before trying again.
    """

    error = "slow_down"
    status = 429

    def __init__(self, description: str, *, retry_after: int) -> None:
        super().__init__(description)
        self.retry_after = retry_after


class TemporarilyUnavailable(OAuthError):
    """A dependency (replay cache, client directory) failed; the request is refused."""

    error = "temporarily_unavailable"
    status = 503
