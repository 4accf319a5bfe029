"""Gunicorn configuration of the API.

    API_JWKS_URL=... gunicorn -c apps/api/gunicorn_conf.py 'apps.api.main:create_app()'

Pass it as a file path (see :mod:`apps.kernel.gunicorn` for why). Command-line
options override these values (``-w 4``, ``-b 0.0.0.0:8000``).

* Public port: ``bind`` below. Metrics: ``METRICS_BIND`` (default
  ``127.0.0.1:9101``), every worker's figures, for Prometheus only.
* The workers share state through Redis (``API_RATE_LIMIT_STORAGE_URL``); the
  app refuses ``memory://`` with more than one worker unless
  ``API_ALLOW_PER_PROCESS_STORAGE=true``.
"""

from apps.kernel import gunicorn as kernel

bind = "127.0.0.1:8000"
workers = 2
worker_class = "sync"
timeout = 30
graceful_timeout = 20

on_starting = kernel.on_starting
when_ready = kernel.serve_metrics_on("127.0.0.1:9101")
post_fork = kernel.post_fork
child_exit = kernel.child_exit
on_exit = kernel.on_exit
