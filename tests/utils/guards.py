"""The guards the root conftest applies to every test, as plain functions.

Kept here (not in the conftest) so each guard can be tested directly. The
layers, their test folders and their network policy come from the layer
registry in ``pyproject.toml`` (:mod:`scripts.layer_registry`).
"""

from __future__ import annotations

import functools
import socket
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest_socket

from scripts.layer_registry import Layer, load_layers

# Taken before any guard runs, to put back after each test.
_REAL_CONNECT = socket.socket.connect

#: The registry's layers, by name.
LAYERS: dict[str, Layer] = load_layers()
#: Layer of a test, from the folder it lives in (relative to ``tests/``).
LAYER_FOLDERS: dict[tuple[str, ...], str] = {
    tuple(Path(folder).relative_to("tests").parts): layer.name
    for layer in LAYERS.values()
    for folder in layer.tests
}
UNIT_LAYERS = frozenset(name for name, layer in LAYERS.items() if layer.is_unit)

#: Layers that may not open any network socket (unix sockets stay allowed).
NO_NETWORK_LAYERS = frozenset(name for name, layer in LAYERS.items() if layer.network == "none")
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


@functools.cache  # once per test file, not per test: resolving paths is most of the cost
def layer_for(path: Path, tests_root: Path) -> str | None:
    """Return the layer a test file belongs to, or None outside every layer."""
    try:
        parts = path.resolve().relative_to(tests_root.resolve()).parts
    except ValueError:
        return None
    for prefix, layer in LAYER_FOLDERS.items():
        if parts[: len(prefix)] == prefix:
            return layer
    return None


def marker_lines() -> list[str]:
    """``name: description`` of every layer marker and of ``unit``, for ``pytest --markers``."""
    lines = [
        f"unit: any test of the unit layers ({', '.join(sorted(UNIT_LAYERS))}); from the folder"
    ]
    for layer in LAYERS.values():
        network = "no sockets" if layer.network == "none" else "loopback only"
        owns = ", ".join(layer.owns) or "nothing"
        lines.append(f"{layer.name}: {', '.join(layer.tests)}: owns {owns}; {network}")
    return lines


def service_env_names(environ: Iterable[str]) -> list[str]:
    """The names in ``environ`` that the root conftest removes before a test."""
    return sorted(
        name
        for name in environ
        if name in SERVICE_ENV_NAMES or name.startswith(SERVICE_ENV_PREFIXES)
    )


def apply_network_policy(layer: str | None) -> None:
    """Block sockets for the no-network layers, allow only loopback elsewhere."""
    if layer in NO_NETWORK_LAYERS:
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
