"""``limits`` storages from a URL, for the API's rate limit and the token service's throttle.

``memory://`` counts in this process only; ``redis://`` (``rediss://``,
``redis+unix://``) is shared by every worker and host. Storage errors are
wrapped in ``limits.errors.StorageError``, so each caller states its own
fail-open or fail-closed decision in one ``except`` clause.
"""

from __future__ import annotations

from limits.storage import Storage, storage_from_string

#: Redis calls on the request path must not hang a worker when Redis does.
REDIS_SOCKET_TIMEOUT_SECONDS = 0.5
REDIS_SCHEMES = ("redis://", "rediss://", "redis+unix://")


def create_storage(url: str) -> Storage:
    """A synchronous ``limits`` storage for ``url``; it connects lazily."""
    options: dict[str, float | str | bool] = {"wrap_exceptions": True}
    if url.startswith(REDIS_SCHEMES):
        options["socket_timeout"] = REDIS_SOCKET_TIMEOUT_SECONDS
        options["socket_connect_timeout"] = REDIS_SOCKET_TIMEOUT_SECONDS
    storage = storage_from_string(url, **options)
    if not isinstance(storage, Storage):  # pragma: no cover - only async+ URLs differ
        raise ValueError("the storage must be a synchronous storage")
    return storage
