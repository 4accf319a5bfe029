"""The service kernel: what the API and the token service share, written once.

* :mod:`~apps.kernel.lifecycle`: shutdown hooks, run by gunicorn's ``worker_exit``;
* :mod:`~apps.kernel.health`: ``/healthz`` and ``/readyz`` from named checks;
* :mod:`~apps.kernel.errors`: every error JSON; 405 with ``Allow``; 500 logged by type;
* :mod:`~apps.kernel.settings`: the pydantic configuration idiom and shared field rules;
* :mod:`~apps.kernel.clock`: the injectable ``Clock`` and ``Sleep``;
* :mod:`~apps.kernel.jose` and :mod:`~apps.kernel.jwk`: JWS algorithms, the one
  JWK parser, the key -> algorithm binding, RFC 7638 thumbprints;
* :mod:`~apps.kernel.gunicorn` and :mod:`~apps.kernel.workers`: the gunicorn
  hooks (metrics listener, worker count, shutdown) and per-process stores;
  :mod:`~apps.kernel.gunicorn_defaults`: the settings and hooks every service's
  gunicorn configuration starts from;
* :mod:`~apps.kernel.limits_storage`: ``limits`` storages from a URL.

Outbound calls retry under :mod:`logging_lib.retry`, the one retry policy,
kept in the lowest package because logging_lib's http sink uses it too.
"""
