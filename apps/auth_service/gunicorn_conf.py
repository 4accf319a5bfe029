"""Gunicorn configuration of the token service.

    AUTH_SERVICE_CONFIG=auth.toml gunicorn -c apps/auth_service/gunicorn_conf.py \\
        'apps.auth_service.app:create_app()'

Pass it as a file path (see :mod:`apps.kernel.gunicorn` for why). Workers,
time-outs and hooks are every service's (:mod:`apps.kernel.gunicorn_defaults`);
command-line options override them (``-w 4``, ``-b 0.0.0.0:8001``).

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
from apps.kernel.gunicorn_defaults import *  # noqa: F403

bind = "127.0.0.1:8001"
when_ready = kernel.serve_metrics_on("127.0.0.1:9102")
