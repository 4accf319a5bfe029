"""The API's composition root: :func:`create_app`.

Production (gunicorn)::

    gunicorn -c apps/api/gunicorn_conf.py 'apps.api.app:create_app()'

reads ``API_*`` settings (and ``LOG_*`` through logging_lib) from the
environment. Tests pass a :class:`~apps.api.settings.Settings` and swap any
collaborator: the key source or the whole token verifier, the rate-limit
storage, the HTTP client, the metrics registry, the clock and the id factory.
Nothing is read, opened or fetched at import time; verification keys are
fetched on first use (or by ``/readyz``), not at start-up, so the API can start
before the token service.
"""

from __future__ import annotations

import os
import time

import httpx
from flask import Flask
from limits.storage import Storage
from prometheus_client import CollectorRegistry

import logging_lib
import logging_lib.flask
from apps.api import openapi, views
from apps.api.access_tokens import AccessTokenVerifier, JwtAccessTokenVerifier
from apps.api.errors import register_error_handlers
from apps.api.jwks import JwksKeySet, KeySource
from apps.api.metrics import ApiMetrics
from apps.api.rate_limit import RateLimiter, create_storage
from apps.api.services import ApiServices
from apps.api.settings import Settings, SettingsError
from apps.api.storage.database import Database
from apps.api.storage.projects import IdFactory, new_project_id
from apps.kernel.clock import Clock
from apps.kernel.health import init_health
from apps.kernel.lifecycle import add_shutdown_hook
from apps.kernel.workers import per_process_storage_problem


def create_app(
    settings: Settings | None = None,
    *,
    key_source: KeySource | None = None,
    token_verifier: AccessTokenVerifier | None = None,
    rate_limit_storage: Storage | None = None,
    http_client: httpx.Client | None = None,
    registry: CollectorRegistry | None = None,
    clock: Clock = time.time,
    new_id: IdFactory = new_project_id,
    configure_logging: bool | None = None,
) -> Flask:
    """Build the API app.

    Args:
        settings: the settings; parsed from ``os.environ`` when omitted.
        key_source: where verification keys come from; by default the JWKS at
            ``settings.jwks_url``, fetched through ``http_client``.
        token_verifier: replaces the whole JWT verifier (``key_source`` is
            then unused).
        rate_limit_storage: a ``limits`` storage; by default built from
            ``settings.rate_limit_storage_url``.
        http_client: client for JWKS fetches; if omitted the app creates one
            and closes it on shutdown (:mod:`apps.kernel.lifecycle`).
        registry: Prometheus registry the app's counters are registered on; a
            new one if omitted. It is not served by the app: under gunicorn the
            metrics listener of :mod:`apps.kernel.gunicorn` collects every worker.
        clock: wall-clock seconds, for tokens, rate-limit windows and timestamps.
        new_id: makes project ids.
        configure_logging: configure logging_lib from ``LOG_*`` variables;
            defaults to True exactly when ``settings`` is read from the environment.

    Raises:
        SettingsError: the environment's ``API_*`` variables are invalid, or the
            ``memory://`` rate-limit storage would be split across several
            worker processes (counted by ``SERVICE_WORKERS``, see
            ``apps.kernel.workers``) without ``API_ALLOW_PER_PROCESS_STORAGE``.
    """
    from_environment = settings is None
    if settings is None:
        settings = Settings.from_environ(os.environ)
    if configure_logging if configure_logging is not None else from_environment:
        logging_lib.configure(logging_lib.LoggingConfig.from_environ(os.environ))

    app = Flask("apps.api")
    # One byte of headroom: Werkzeug truncates a streamed (chunked) body at this
    # limit instead of failing, so reading limit + 1 bytes is how an oversized
    # stream is told apart from one of exactly the allowed size.
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes + 1
    # Every method a path answers is in the OpenAPI document; OPTIONS is not.
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False

    metrics = ApiMetrics.create(registry if registry is not None else CollectorRegistry())
    if token_verifier is None:
        if key_source is None:
            if http_client is None:
                http_client = httpx.Client(
                    timeout=settings.jwks_timeout_seconds, follow_redirects=False
                )
                add_shutdown_hook(app, http_client.close)
            key_source = JwksKeySet(
                settings.jwks_url,
                http_client,
                clock=clock,
                cache_ttl=settings.jwks_cache_ttl_seconds,
                refetch_cooldown=settings.jwks_refetch_cooldown_seconds,
                timeout=settings.jwks_timeout_seconds,
                metrics=metrics,
            )
        token_verifier = JwtAccessTokenVerifier(
            key_source,
            issuer=settings.issuer,
            audience=settings.audience,
            clock=clock,
            leeway=settings.token_leeway_seconds,
        )
    if rate_limit_storage is None:
        problem = per_process_storage_problem(
            {"API_RATE_LIMIT_STORAGE_URL": settings.rate_limit_storage_url},
            os.environ,
            allow_setting="API_ALLOW_PER_PROCESS_STORAGE=true",
        )
        if problem is not None and not settings.allow_per_process_storage:
            raise SettingsError([problem])
        rate_limit_storage = create_storage(settings.rate_limit_storage_url)
    database = Database(settings.database_path)
    database.create_schema()
    add_shutdown_hook(app, database.close)

    ApiServices(
        settings=settings,
        verifier=token_verifier,
        limiter=RateLimiter(rate_limit_storage, settings.rate_limit, clock=clock, metrics=metrics),
        database=database,
        metrics=metrics,
        clock=clock,
        new_project_id=new_id,
    ).install(app)

    logging_lib.flask.init_app(app)
    register_error_handlers(app)
    app.register_blueprint(views.blueprint)
    init_health(app, {"database": database.ping, "keys": token_verifier.ready})
    app.register_blueprint(openapi.blueprint)
    # No /metrics route: token-rejection reasons are not for the public port.
    # gunicorn serves them on a separate listener (apps/kernel/gunicorn.py).
    return app
