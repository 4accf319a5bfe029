"""The gunicorn settings and server hooks every service runs with.

A service's configuration file takes them all, then names its own addresses::

    from apps.kernel import gunicorn as kernel
    from apps.kernel.gunicorn_defaults import *  # noqa: F403

    bind = "127.0.0.1:8000"
    when_ready = kernel.serve_metrics_on("127.0.0.1:9101")

Two sync workers; a worker silent for 30 s is restarted, and a stopping one
has 20 s to finish its requests. The hooks are :mod:`apps.kernel.gunicorn`'s,
but ``when_ready``, which names the service's metrics address. Only names
gunicorn reads are exported, so a configuration that takes them stays one
``gunicorn -c`` accepts without an unknown name.
"""

from __future__ import annotations

from apps.kernel.gunicorn import child_exit, on_exit, on_starting, post_fork, worker_exit

__all__ = [
    "child_exit",
    "graceful_timeout",
    "on_exit",
    "on_starting",
    "post_fork",
    "timeout",
    "worker_class",
    "worker_exit",
    "workers",
]

workers = 2
worker_class = "sync"
timeout = 30
graceful_timeout = 20
