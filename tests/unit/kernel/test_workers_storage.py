"""Worker counts, refusing per-process stores with several workers, limits storages."""

from __future__ import annotations

import pytest
from limits.storage import MemoryStorage

from apps.kernel.limits_storage import REDIS_SOCKET_TIMEOUT_SECONDS, create_storage
from apps.kernel.workers import per_process_storage_problem, worker_count


@pytest.mark.parametrize(
    ("environ", "count"),
    [
        ({}, 1),
        ({"SERVICE_WORKERS": "4"}, 4),
        ({"SERVICE_WORKERS": "0"}, None),
        ({"SERVICE_WORKERS": "four"}, None),
        ({"SERVER_SOFTWARE": "gunicorn/23.0.0"}, None),
        ({"SERVER_SOFTWARE": "Werkzeug/3.1"}, 1),
    ],
)
def test_worker_count__from_the_gunicorn_hooks_else_alone_outside_gunicorn(environ, count):
    assert worker_count(environ) == count


def test_per_process_storage_problem__names_the_stores_and_the_setting():
    stores = {"replay_cache_url": "memory://", "throttle_url": "memory://", "x": "redis://h"}
    problem = per_process_storage_problem(
        stores, {"SERVICE_WORKERS": "3"}, allow_setting="allow_per_process_storage"
    )
    assert problem == (
        "replay_cache_url and throttle_url is memory:// (one per process) but the service runs"
        " 3 worker processes: replays and limits would not be shared; use redis://, or set"
        " allow_per_process_storage to accept that"
    )


def test_per_process_storage_problem__unknown_worker_count_is_refused_too():
    problem = per_process_storage_problem(
        {"rate_limit": "memory://"}, {"SERVER_SOFTWARE": "gunicorn/23"}, allow_setting="X"
    )
    assert problem is not None
    assert "an unknown number of gunicorn workers" in problem


@pytest.mark.parametrize(
    ("stores", "environ"),
    [
        ({"rate_limit": "memory://"}, {}),
        ({"rate_limit": "redis://cache"}, {"SERVICE_WORKERS": "8"}),
    ],
)
def test_per_process_storage_problem__none_when_alone_or_shared(stores, environ):
    assert per_process_storage_problem(stores, environ, allow_setting="X") is None


def test_create_storage__memory_counts_in_process():
    storage = create_storage("memory://")
    assert isinstance(storage, MemoryStorage)
    assert storage.incr("k", 60) == 1


def test_create_storage__redis_gets_short_socket_timeouts_and_connects_lazily():
    storage = create_storage("redis://127.0.0.1:1/0")  # nothing listens: never contacted here
    pool = storage.storage.connection_pool  # type: ignore[attr-defined]
    assert pool.connection_kwargs["socket_timeout"] == REDIS_SOCKET_TIMEOUT_SECONDS
    assert pool.connection_kwargs["socket_connect_timeout"] == REDIS_SOCKET_TIMEOUT_SECONDS
