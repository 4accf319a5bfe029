"""The token service's composition root: :func:`create_app`.

Production (gunicorn)::

    AUTH_SERVICE_CONFIG=auth.toml gunicorn -c apps/auth_service/gunicorn_conf.py \\
        'apps.auth_service.app:create_app()'

reads the TOML file ``AUTH_SERVICE_CONFIG`` names (and ``LOG_*`` through
logging_lib). Tests pass a :class:`~apps.auth_service.settings.Settings` and
swap any collaborator by keyword; nothing is read, opened or fetched at import
time.
"""

from __future__ import annotations

import os
import time

import httpx
from flask import Flask
from limits.storage import Storage
from prometheus_client import CollectorRegistry
from werkzeug.middleware.proxy_fix import ProxyFix

import logging_lib
import logging_lib.flask
from apps.auth_service.client_auth import AssertionPolicy, ClientAuthenticator
from apps.auth_service.clients import ClientRegistry, StaticClientRegistry
from apps.auth_service.directory import (
    CONNECT_TIMEOUT_SECONDS,
    DirectoryClientRegistry,
    directory_retry_policy,
)
from apps.auth_service.errors import register_error_handlers
from apps.auth_service.keys import KeyLoader, load_key_set
from apps.auth_service.metrics import AuthMetrics
from apps.auth_service.passwords import SecretVerifier
from apps.auth_service.replay_cache import ReplayCache, replay_cache_from_url
from apps.auth_service.services import AuthServices
from apps.auth_service.settings import Settings, SettingsError
from apps.auth_service.throttle import FailureThrottle
from apps.auth_service.tokens import TokenIssuer
from apps.auth_service.views import blueprint
from apps.kernel.clock import Clock, Sleep
from apps.kernel.health import init_health
from apps.kernel.lifecycle import add_shutdown_hook
from apps.kernel.limits_storage import create_storage
from apps.kernel.workers import per_process_storage_problem


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock = time.time,
    key_loader: KeyLoader = load_key_set,
    replay_cache: ReplayCache | None = None,
    throttle_storage: Storage | None = None,
    client_registry: ClientRegistry | None = None,
    http_client: httpx.Client | None = None,
    registry: CollectorRegistry | None = None,
    sleep: Sleep = time.sleep,
    configure_logging: bool | None = None,
) -> Flask:
    """Build the token service.

    Args:
        settings: the settings; read from the file ``AUTH_SERVICE_CONFIG``
            names when omitted.
        clock: wall-clock seconds, for tokens, assertions, the replay cache
            and the throttle.
        key_loader: turns the ``[keys]`` settings into the signing key set.
        replay_cache: by default built from ``replay_cache_url`` and closed on
            shutdown (:mod:`apps.kernel.lifecycle`).
        throttle_storage: a ``limits`` storage for the failed-authentication
            counters; by default built from ``replay_cache_url``.
        client_registry: where clients are looked up; by default the
            configured clients or the directory service (``[registry]``).
        http_client: client for the directory service; if omitted the app
            creates one and closes it on shutdown.
        registry: Prometheus registry the app's counters are registered on; a
            new one if omitted. It is not served by the app.
        sleep: waits between retries of directory lookups.
        configure_logging: configure logging_lib from ``LOG_*`` variables;
            defaults to True exactly when ``settings`` is read from the environment.

    Raises:
        SettingsError, KeyFileError: before serving anything, if the
            configuration or a key is bad, or if a ``memory://`` store would be
            split across several worker processes (counted by
            ``SERVICE_WORKERS``, see ``apps.kernel.workers``) without
            ``allow_per_process_storage = true``.
    """
    from_environment = settings is None
    if settings is None:
        settings = Settings.from_environ(os.environ)
    if configure_logging if configure_logging is not None else from_environment:
        logging_lib.configure(logging_lib.LoggingConfig.from_environ(os.environ))
    problem = per_process_storage_problem(
        {"replay_cache_url": settings.replay_cache_url},
        os.environ,
        allow_setting="allow_per_process_storage = true",
    )
    builds_stores = replay_cache is None or throttle_storage is None
    if builds_stores and problem is not None and not settings.allow_per_process_storage:
        raise SettingsError([problem])
    key_set = key_loader(settings.keys)

    app = Flask("apps.auth_service")
    # One byte of headroom: see views._read_form for how a chunked body over
    # the limit is told apart from one of exactly the allowed size.
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes + 1

    if replay_cache is None:
        replay_cache = replay_cache_from_url(
            settings.replay_cache_url, max_entries=settings.replay_cache_max_entries, clock=clock
        )
        add_shutdown_hook(app, replay_cache.close)
    if client_registry is None:
        client_registry = _client_registry(app, settings, http_client, sleep)
    if throttle_storage is None:
        throttle_storage = create_storage(settings.replay_cache_url)
    throttle = FailureThrottle(throttle_storage, settings.throttle, clock=clock)

    metrics = AuthMetrics(registry if registry is not None else CollectorRegistry())
    authenticator = ClientAuthenticator(
        registry=client_registry,
        verifier=SecretVerifier(settings.argon2),
        replay_cache=replay_cache,
        policy=AssertionPolicy(
            audiences=frozenset({settings.token_endpoint, settings.issuer}),
            max_lifetime_seconds=settings.assertion_max_lifetime_seconds,
            leeway_seconds=settings.clock_leeway_seconds,
        ),
        clock=clock,
    )
    issuer = TokenIssuer(
        issuer=settings.issuer,
        audience=settings.access_token_audience,
        lifetime_seconds=settings.token_lifetime_seconds,
        key_set=key_set,
        clock=clock,
    )
    AuthServices(
        settings=settings,
        key_set=key_set,
        authenticator=authenticator,
        issuer=issuer,
        replay_cache=replay_cache,
        throttle=throttle,
        metrics=metrics,
        clock=clock,
    ).install(app)
    if settings.throttle.trusted_proxy_hops:
        # Only the proxies the operator runs may say where a request came from.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.throttle.trusted_proxy_hops, x_proto=0, x_host=0
        )
    logging_lib.flask.init_app(app)
    register_error_handlers(app)
    app.register_blueprint(blueprint)
    init_health(app, {"keys": lambda: bool(key_set.active.kid), "replay_cache": replay_cache.ping})
    # No /metrics route: failure reasons would tell which client ids exist.
    # gunicorn serves the metrics on a separate listener (apps/kernel/gunicorn.py).
    return app


def _client_registry(
    app: Flask, settings: Settings, http_client: httpx.Client | None, sleep: Sleep
) -> ClientRegistry:
    directory = settings.registry
    if directory.source == "config":
        return StaticClientRegistry(settings.clients)
    if directory.url is None:  # pragma: no cover - settings validation guarantees a URL
        raise SettingsError(["registry.url: is required when registry.source is directory"])
    timeout = directory.timeout_seconds
    if http_client is None:
        http_client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT_SECONDS))
        )
        add_shutdown_hook(app, http_client.close)
    return DirectoryClientRegistry(
        http_client,
        directory.url,
        retry=directory_retry_policy(
            retries=directory.retries, budget_seconds=directory.retry_budget_seconds
        ),
        timeout=timeout,
        sleep=sleep,
    )
