"""How many processes serve the app, and refusing per-process state when there are several.

The gunicorn hooks of :mod:`apps.kernel.gunicorn` put the number of workers in
``SERVICE_WORKERS`` of every worker's environment before the app is built.
Without it, a process that runs under gunicorn anyway (gunicorn sets
``SERVER_SOFTWARE`` to ``gunicorn/<version>``) has an unknown number of
siblings; elsewhere (tests, ``flask run``) it is alone.

``memory://`` stores (the token service's replay cache and throttle, the
API's rate limit) live in one process. With several workers a replayed
assertion is accepted by another worker and every limit is multiplied, so
:func:`per_process_storage_problem` refuses that setup, and an unknown worker
count, unless the operator explicitly allows it.
"""

from __future__ import annotations

from collections.abc import Mapping

WORKERS_ENV = "SERVICE_WORKERS"
SERVER_SOFTWARE_ENV = "SERVER_SOFTWARE"


def worker_count(environ: Mapping[str, str]) -> int | None:
    """The number of worker processes, 1 outside gunicorn, None if unknown."""
    raw = environ.get(WORKERS_ENV)
    if raw is not None:
        try:
            count = int(raw)
        except ValueError:
            return None
        return count if count >= 1 else None
    if environ.get(SERVER_SOFTWARE_ENV, "").startswith("gunicorn/"):
        return None
    return 1


def per_process_storage_problem(
    stores: Mapping[str, str], environ: Mapping[str, str], *, allow_setting: str
) -> str | None:
    """Why the ``memory://`` stores among ``stores`` (name -> URL) cannot be used, or None."""
    local = [name for name, url in stores.items() if url == "memory://"]
    if not local:
        return None
    count = worker_count(environ)
    if count == 1:
        return None
    names = " and ".join(local)
    workers = (
        f"{count} worker processes"
        if count is not None
        else "an unknown number of gunicorn workers (start gunicorn with the service's"
        " gunicorn_conf.py, which tells the app)"
    )
    return (
        f"{names} is memory:// (one per process) but the service runs {workers}: replays and"
        f" limits would not be shared; use redis://, or set {allow_setting} to accept that"
    )
