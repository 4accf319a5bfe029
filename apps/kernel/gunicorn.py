"""Gunicorn hooks both services use: metrics on a private listener, worker count, shutdown.

A service's gunicorn configuration file (``apps/api/gunicorn_conf.py``,
``apps/auth_service/gunicorn_conf.py``) takes these functions under gunicorn's
hook names from :mod:`apps.kernel.gunicorn_defaults`. Together they:

* put prometheus_client in multiprocess mode: ``PROMETHEUS_MULTIPROC_DIR``
  names a directory where every worker writes its figures (a fresh private
  directory unless the variable is set; its ``*.db`` files are removed at
  start, as prometheus_client requires);
* serve the merged figures of every worker, living or dead, on a separate
  listener (``METRICS_BIND``, ``host:port``, loopback by default) from the
  gunicorn master, never on the public port, where failure reasons would
  tell an attacker which client ids exist;
* mark a worker dead when it exits (``mark_process_dead``), so gauges of
  live processes drop it; ``gunicorn_workers`` counts the live workers;
* tell each worker how many workers there are (``SERVICE_WORKERS``), so the
  app can refuse per-process (``memory://``) stores when there are several;
* run the app's shutdown hooks (:mod:`apps.kernel.lifecycle`) in a worker that
  exits, so it closes its connections and clients instead of dropping them.

prometheus_client chooses multiprocess mode when it is first imported, so the
master must not have imported it before :func:`on_starting` sets the
variable: pass the configuration as a file (``-c apps/api/gunicorn_conf.py``),
not as ``python:apps.api.gunicorn_conf``, whose package import loads the app.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask

from apps.kernel.lifecycle import shut_down
from apps.kernel.workers import WORKERS_ENV

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
METRICS_BIND_ENV = "METRICS_BIND"


class MetricsSetupError(RuntimeError):
    """The metrics listener cannot be set up as configured."""


class _State:
    """What the master keeps between hooks (one master per process)."""

    directory: Path | None = None
    owns_directory = False
    server: Any = None
    thread: Any = None
    worker_gauge: Any = None


def parse_bind(value: str) -> tuple[str, int]:
    """``host:port`` (``[v6]:port`` for IPv6) as a pair; raises ``MetricsSetupError``."""
    host, separator, port = value.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not separator or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise MetricsSetupError(f"{METRICS_BIND_ENV} must be host:port, got {value!r}")
    return host, int(port)


def on_starting(server: Any) -> None:
    """In the master, before any worker: choose and clean the multiprocess directory."""
    if "prometheus_client" in sys.modules and MULTIPROC_ENV not in os.environ:
        raise MetricsSetupError(
            "prometheus_client was imported before the metrics directory was chosen; pass the"
            " gunicorn configuration as a file path (-c .../gunicorn_conf.py) or set"
            f" {MULTIPROC_ENV}"
        )
    configured = os.environ.get(MULTIPROC_ENV)
    if configured:
        directory = Path(configured)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):  # figures of an earlier run
            stale.unlink()
    else:
        directory = Path(tempfile.mkdtemp(prefix="service-metrics-"))
        os.environ[MULTIPROC_ENV] = str(directory)
        _State.owns_directory = True
    _State.directory = directory


def serve_metrics_on(default_bind: str) -> Callable[[Any], None]:
    """A ``when_ready`` hook serving the metrics on ``METRICS_BIND`` or ``default_bind``."""

    def when_ready(server: Any) -> None:
        """In the master, once the public socket listens: start the metrics listener."""
        from prometheus_client import CollectorRegistry, start_http_server

        from apps.kernel.multiprocess import WorkerFilesCollector

        host, port = parse_bind(os.environ.get(METRICS_BIND_ENV) or default_bind)
        registry = CollectorRegistry()
        WorkerFilesCollector(registry, path=str(_State.directory))
        _State.server, _State.thread = start_http_server(port, addr=host, registry=registry)
        server.log.info("Serving the metrics of every worker on http://%s:%d/metrics", host, port)

    return when_ready


def post_fork(server: Any, worker: Any) -> None:
    """In each new worker, before the app is built: its worker count and liveness."""
    os.environ[WORKERS_ENV] = str(server.cfg.workers)
    from prometheus_client import Gauge

    # Not on any registry: in multiprocess mode the value goes to this
    # worker's file, which the master's collector merges.
    _State.worker_gauge = Gauge(
        "gunicorn_workers", "Live gunicorn workers.", multiprocess_mode="livesum", registry=None
    )
    _State.worker_gauge.set(1)


def worker_exit(server: Any, worker: Any) -> None:
    """In a worker that is exiting: run its app's shutdown hooks.

    A failing hook is logged by type (its message may hold a secret); the
    worker exits either way. A worker whose app never loaded has nothing to run.
    """
    app = getattr(worker, "wsgi", None)
    if not isinstance(app, Flask):
        return
    try:
        shut_down(app)
    except Exception as exc:  # noqa: BLE001 - the worker exits whatever failed
        server.log.warning("A shutdown hook of the app failed: %s", type(exc).__name__)


def child_exit(server: Any, worker: Any) -> None:
    """In the master, when a worker exited: drop its live gauges from the figures."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, str(_State.directory))  # type: ignore[no-untyped-call]


def on_exit(server: Any) -> None:
    """In the master, at shutdown: stop the listener, remove a directory it made."""
    if _State.server is not None:
        _State.server.shutdown()
        _State.server.server_close()
        _State.server = None
    if _State.owns_directory and _State.directory is not None:
        shutil.rmtree(_State.directory, ignore_errors=True)
        _State.owns_directory = False
