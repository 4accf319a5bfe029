"""The app lifecycle: what an app must release when its process stops serving.

``create_app`` registers a shutdown hook for every resource it opens itself
(database connections, HTTP clients, Redis clients) with
:func:`add_shutdown_hook`; an injected collaborator belongs to whoever
injected it and is never registered. :func:`shut_down` runs the hooks, last
registered first, each once. It runs in production from gunicorn's
``worker_exit`` hook (:mod:`apps.kernel.gunicorn`), and in tests when a test
client is torn down (``tests/utils/flask_client_factory.py``).
"""

from __future__ import annotations

import os
from collections.abc import Callable

import structlog
from flask import Flask

ShutdownHook = Callable[[], object]
_EXTENSION = "apps.kernel.shutdown_hooks"
SHUTDOWN_EVENT = "app.shutdown"


def add_shutdown_hook(app: Flask, hook: ShutdownHook) -> None:
    """Run ``hook`` when ``app`` shuts down (after every hook registered later)."""
    app.extensions.setdefault(_EXTENSION, []).append(hook)


def shutdown_hooks(app: Flask) -> tuple[ShutdownHook, ...]:
    """The hooks still to run, in registration order."""
    return tuple(app.extensions.get(_EXTENSION, ()))


def shut_down(app: Flask) -> None:
    """Run the app's shutdown hooks, last registered first; each runs once.

    Every hook gets its turn even if an earlier one fails; the first failure is
    raised afterwards. One ``app.shutdown`` event records the process, how many
    hooks ran and the types of the failures (never their messages, which may
    hold secrets).
    """
    hooks: list[ShutdownHook] = app.extensions.get(_EXTENSION, [])
    ran = 0
    errors: list[Exception] = []
    while hooks:
        hook = hooks.pop()
        ran += 1
        try:
            hook()
        except Exception as exc:  # noqa: BLE001 - every hook must get its turn
            errors.append(exc)
    structlog.get_logger(__name__).info(
        SHUTDOWN_EVENT,
        app=app.name,
        pid=os.getpid(),
        hooks=ran,
        failures=[type(error).__name__ for error in errors],
    )
    if errors:
        raise errors[0]
