"""Gunicorn configuration of the token service.

    AUTH_SERVICE_CONFIG=auth.toml gunicorn -c apps/auth_service/gunicorn_conf.py \\
        'apps.auth_service.app:create_app()'

Pass it as a file path (see :mod:`apps.kernel.gunicorn` for why). Command-line
options override these values (``-w 4``, ``-b 0.0.0.0:8001``).

* Each worker that exits runs the app's shutdown hooks (``worker_exit``):
  connections and clients are closed, not dropped.
* Public port: ``bind`` below. Metrics: ``METRICS_BIND`` (default
  ``127.0.0.1:9102``), every worker's figures, for Prometheus only: failure
  reasons there would tell an attacker which client ids exist.
* The workers share the replay cache and the throttle through Redis
  (``replay_cache_url``); the app refuses ``memory://`` with more than one
  worker unless ``allow_per_process_storage = true``.
"""

from apps.kernel import gunicorn as kernel

bind = "127.0.0.1:8001"
workers = 2
worker_class = "sync"
timeout = 30
graceful_timeout = 20

on_starting = kernel.on_starting
when_ready = kernel.serve_metrics_on("127.0.0.1:9102")
post_fork = kernel.post_fork
worker_exit = kernel.worker_exit
child_exit = kernel.child_exit
on_exit = kernel.on_exit
