"""The application factory: the composition root of the token service."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import flask
import httpx
from limits.storage import Storage
from prometheus_client import CollectorRegistry
from werkzeug.middleware.proxy_fix import ProxyFix

import logging_lib
from apps.auth_service.client_auth import AssertionPolicy, ClientAuthenticator
from apps.auth_service.clients import ClientRegistry, StaticClientRegistry
from apps.auth_service.config import Settings, load_settings
from apps.auth_service.directory import DirectoryClientRegistry
from apps.auth_service.errors import ConfigError
from apps.auth_service.http_errors import register_error_handlers
from apps.auth_service.keys import KeyLoader, load_key_set
from apps.auth_service.metrics import AuthMetrics
from apps.auth_service.passwords import SecretVerifier
from apps.auth_service.replay_cache import ReplayCache, replay_cache_from_url
from apps.auth_service.throttle import FailureThrottle
from apps.auth_service.tokens import TokenIssuer
from apps.auth_service.views import EXTENSION, Services, blueprint
from apps.kernel.limits_storage import create_storage
from apps.kernel.workers import per_process_storage_problem
from logging_lib import flask as logging_flask

SHUTDOWN_HOOKS = "shutdown_hooks"
#: Keyword arguments of ``create_app`` that inject collaborators; every other
#: keyword overrides a top-level field of the TOML configuration.
COLLABORATORS = frozenset(
    {
        "clock",
        "key_loader",
        "replay_cache",
        "client_registry",
        "http_client",
        "metrics_registry",
        "throttle_storage",
        "sleep",
    }
)


def create_app(config_path: str | os.PathLike[str] | None = None, **overrides: Any) -> flask.Flask:
    """Build the token service.

    Configuration comes from the TOML file at ``config_path`` or, if that is
    ``None``, from the file named by ``AUTH_SERVICE_CONFIG``. Keyword arguments
    named in ``COLLABORATORS`` replace a collaborator (``clock``: epoch seconds;
    ``key_loader``: ``KeySettings -> KeySet``; ``replay_cache``;
    ``client_registry``; ``http_client`` for the directory service;
    ``metrics_registry``; ``throttle_storage``, a ``limits`` storage for the
    failed-authentication counters (default: built from ``replay_cache_url``);
    ``sleep`` for retry backoff); ``configure_logging``
    sets up logging_lib from the ``LOG_*`` variables and defaults to True
    exactly when the configuration is found through the environment (the
    gunicorn entry point); any other keyword overrides the config field of
    that name. Raises ``ConfigError`` or ``KeyFileError`` before serving
    anything if the configuration or a key is bad, or if a ``memory://``
    store would be split across several worker processes (the worker count
    comes from ``SERVICE_WORKERS``, see ``apps.kernel.workers``).
    """
    configure_logging: bool | None = overrides.pop("configure_logging", None)
    injected = {name: overrides.pop(name) for name in list(overrides) if name in COLLABORATORS}
    settings = load_settings(config_path, os.environ, overrides)
    if configure_logging if configure_logging is not None else config_path is None:
        logging_lib.configure(logging_lib.LoggingConfig.from_environ(os.environ))
    builds_stores = injected.get("replay_cache") is None or injected.get("throttle_storage") is None
    problem = per_process_storage_problem(
        {"replay_cache_url": settings.replay_cache_url},
        os.environ,
        allow_setting="allow_per_process_storage = true",
    )
    if builds_stores and problem is not None and not settings.allow_per_process_storage:
        raise ConfigError([problem])
    clock: Callable[[], float] = injected.get("clock", time.time)
    key_loader: KeyLoader = injected.get("key_loader", load_key_set)
    key_set = key_loader(settings.keys)
    shutdown_hooks: list[Callable[[], object]] = []

    replay_cache: ReplayCache | None = injected.get("replay_cache")
    if replay_cache is None:
        replay_cache = replay_cache_from_url(
            settings.replay_cache_url, max_entries=settings.replay_cache_max_entries, clock=clock
        )
        shutdown_hooks.append(replay_cache.close)

    client_registry: ClientRegistry | None = injected.get("client_registry")
    if client_registry is None:
        client_registry = _build_registry(settings, injected, shutdown_hooks)

    throttle_storage: Storage | None = injected.get("throttle_storage")
    if throttle_storage is None:
        throttle_storage = create_storage(settings.replay_cache_url)
    throttle = FailureThrottle(throttle_storage, settings.throttle, clock=clock)

    metrics = AuthMetrics(injected.get("metrics_registry") or CollectorRegistry())
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

    app = flask.Flask(__name__)
    # One byte of headroom: see views._read_form for how a chunked body over
    # the limit is told apart from one of exactly the allowed size.
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes + 1
    app.extensions[EXTENSION] = Services(
        settings, key_set, authenticator, issuer, replay_cache, throttle, metrics, clock
    )
    if settings.throttle.trusted_proxy_hops:
        # Only the proxies the operator runs may say where a request came from.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.throttle.trusted_proxy_hops, x_proto=0, x_host=0
        )
    app.extensions[SHUTDOWN_HOOKS] = shutdown_hooks
    logging_flask.init_app(app)
    app.register_blueprint(blueprint)
    register_error_handlers(app)
    # No /metrics route: failure reasons would tell which client ids exist.
    # gunicorn serves the metrics on a separate listener (apps/kernel/gunicorn.py).
    return app


def _build_registry(
    settings: Settings, injected: dict[str, Any], shutdown_hooks: list[Callable[[], object]]
) -> ClientRegistry:
    if settings.registry.source == "config":
        return StaticClientRegistry(settings.clients)
    if settings.registry.url is None:  # pragma: no cover - settings validation guarantees a URL
        raise ConfigError(["registry.url: is required when registry.source is directory"])
    http: httpx.Client | None = injected.get("http_client")
    if http is None:
        timeout = settings.registry.timeout_seconds
        http = httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 1.0)))
        shutdown_hooks.append(http.close)
    return DirectoryClientRegistry(
        http,
        settings.registry.url,
        retries=settings.registry.retries,
        sleep=injected.get("sleep", time.sleep),
    )
