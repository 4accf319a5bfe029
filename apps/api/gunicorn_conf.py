"""Gunicorn configuration of the API.

    API_JWKS_URL=... gunicorn -c apps/api/gunicorn_conf.py 'apps.api.app:create_app()'

Pass it as a file path (see :mod:`apps.kernel.gunicorn` for why). Workers,
time-outs and hooks are every service's (:mod:`apps.kernel.gunicorn_defaults`);
command-line options override them (``-w 4``, ``-b 0.0.0.0:8000``).

* Each worker that exits runs the app's shutdown hooks (``worker_exit``):
  connections and clients are closed, not dropped.
* Public port: ``bind`` below. Metrics: ``METRICS_BIND`` (default
  ``127.0.0.1:9101``), every worker's figures, for Prometheus only.
* The workers share state through Redis (``API_RATE_LIMIT_STORAGE_URL``); the
  app refuses ``memory://`` with more than one worker unless
  ``API_ALLOW_PER_PROCESS_STORAGE=true``.
"""

from apps.kernel import gunicorn as kernel
from apps.kernel.gunicorn_defaults import *  # noqa: F403

bind = "127.0.0.1:8000"
when_ready = kernel.serve_metrics_on("127.0.0.1:9101")
