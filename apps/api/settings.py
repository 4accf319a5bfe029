"""Typed settings of the API, parsed from an explicit environment mapping.

:meth:`Settings.from_environ` reads the ``API_*`` variables below and raises one
:class:`SettingsError` naming every missing or invalid one. A near-miss of a
known name (``API_RATE_LIMT``) is refused as a typo and other ``API_*`` names
are ignored (:func:`apps.kernel.settings.environment_values`); blank values
count as unset.

========================================  ==============================  ==========
variable                                  meaning                         default
========================================  ==============================  ==========
``API_JWKS_URL``                          https URL of the token          required
                                          service's JWKS (plain http
                                          only for loopback hosts)
``API_ISSUER``                            expected ``iss`` claim          required
``API_AUDIENCE``                          expected ``aud`` value          required
``API_DATABASE_PATH``                     SQLite file                     ``api.sqlite3``
``API_RATE_LIMIT``                        per (tenant, client) limit      ``100/minute``
``API_RATE_LIMIT_STORAGE_URL``            ``memory://`` or ``redis://``   ``memory://``
``API_ALLOW_PER_PROCESS_STORAGE``         ``true`` lets ``memory://``      ``false``
                                          run in several workers
``API_MAX_BODY_BYTES``                    largest accepted request body   ``65536``
``API_TOKEN_LEEWAY_SECONDS``              clock skew allowed on exp/nbf   ``30``
                                          (0 to 300)
``API_JWKS_CACHE_TTL_SECONDS``            how long fetched keys are used  ``300``
``API_JWKS_REFETCH_COOLDOWN_SECONDS``     minimum gap between refetches   ``30``
                                          caused by unknown key ids
``API_JWKS_TIMEOUT_SECONDS``              HTTP timeout of a JWKS fetch    ``5``
========================================  ==============================  ==========
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError

from apps.kernel import settings as kernel_settings
from apps.kernel.settings import (
    Location,
    RateLimit,
    SecureHttpUrl,
    SettingsModel,
    environment_values,
    storage_url,
)

PREFIX = "API_"
RATE_LIMIT_STORAGE_SCHEMES = frozenset({"memory", "redis", "rediss", "redis+unix"})

Seconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class SettingsError(kernel_settings.SettingsError):
    """One or more ``API_*`` variables are missing, invalid or unknown."""

    subject = "API settings"


class Settings(SettingsModel):
    """Everything the API reads from its environment."""

    jwks_url: SecureHttpUrl
    issuer: Annotated[str, Field(min_length=1)]
    audience: Annotated[str, Field(min_length=1)]
    database_path: Path = Path("api.sqlite3")
    rate_limit: RateLimit = "100/minute"
    # A Redis URL may carry a password: keep it out of every repr.
    rate_limit_storage_url: Annotated[str, storage_url(RATE_LIMIT_STORAGE_SCHEMES)] = Field(
        default="memory://", repr=False
    )
    allow_per_process_storage: bool = False
    max_body_bytes: Annotated[int, Field(gt=0)] = 65536
    token_leeway_seconds: Annotated[int, Field(ge=0, le=300)] = 30
    jwks_cache_ttl_seconds: Seconds = 300.0
    jwks_refetch_cooldown_seconds: Seconds = 30.0
    jwks_timeout_seconds: Seconds = 5.0

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Parse the ``API_*`` variables of ``environ``; raise one :class:`SettingsError`."""
        values = environment_values(environ, PREFIX, cls.model_fields)
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            known = [variable(field) for field in cls.model_fields]
            raise SettingsError.from_validation(exc, name=_variable_at, known=known) from None


def variable(field: str) -> str:
    """The environment variable of a settings field."""
    return PREFIX + field.upper()


def _variable_at(location: Location) -> str:
    return variable(str(location[0]))
