"""The guards every test runs under, as plain functions.

Kept here so each guard can be tested directly. The layers' plugin
(``tests/utils/layer_plugins.py``) scrubs the environment and applies each
test's layer's network policy (from the layer registry); the root conftest
checks for pushed Flask contexts.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterable, Iterator

import pytest_socket

# Taken before any guard runs, to put back after each test.
_REAL_CONNECT = socket.socket.connect

#: What the other layers may connect to.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")

#: Variables the services, the logging library and the tooling read. A
#: developer's shell (or CI) must not change what a test sees.
SERVICE_ENV_PREFIXES = ("API_", "AUTH_SERVICE_", "LOG_", "CI_METRICS_", "GITHUB_")
SERVICE_ENV_NAMES = frozenset(
    # Set by gunicorn and the services' gunicorn hooks; a shell that has them
    # must not make the apps believe they run under gunicorn.
    {"REDIS_URL", "SERVICE_WORKERS", "SERVER_SOFTWARE", "PROMETHEUS_MULTIPROC_DIR", "METRICS_BIND"}
)


def service_env_names(environ: Iterable[str]) -> list[str]:
    """The names in ``environ`` that the root conftest removes before a test."""
    return sorted(
        name
        for name in environ
        if name in SERVICE_ENV_NAMES or name.startswith(SERVICE_ENV_PREFIXES)
    )


def apply_network_policy(network: str | None) -> None:
    """Block sockets for a layer whose ``network`` is ``none``; allow only loopback
    elsewhere (other layers, and a test outside every layer)."""
    if network == "none":
        pytest_socket.disable_socket(allow_unix_socket=True)
    else:
        pytest_socket.socket_allow_hosts(list(LOOPBACK_HOSTS), allow_unix_socket=True)


def lift_network_policy() -> None:
    pytest_socket.enable_socket()
    socket.socket.connect = _REAL_CONNECT  # type: ignore[method-assign]


def pop_leaked_flask_contexts() -> Iterator[str]:
    """Pop every Flask request/app context still pushed; yield what was popped.

    A process that never imported Flask has none pushed: the layers that do not
    use it (logging, parts of tooling) do not pay for importing it.
    """
    flask = sys.modules.get("flask")
    if flask is None:
        return
    while flask.has_request_context():
        ctx = flask.globals.request_ctx._get_current_object()
        ctx.pop()
        yield f"request context for {ctx.request.path!r}"
    while flask.has_app_context():
        ctx = flask.globals.app_ctx._get_current_object()
        ctx.pop()
        yield f"app context of {ctx.app.name!r}"
