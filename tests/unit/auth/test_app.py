"""create_app: configuration sources, collaborators, start-up failures and shutdown."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
import pytest
from structlog.testing import capture_logs

import logging_lib
from apps.auth_service.app import create_app
from apps.auth_service.directory import DirectoryClientRegistry
from apps.auth_service.keys import KeyFileError
from apps.auth_service.replay_cache import MemoryReplayCache, RedisReplayCache
from apps.auth_service.services import EXTENSION_KEY
from apps.auth_service.settings import SettingsError
from apps.kernel.gunicorn import worker_exit
from apps.kernel.lifecycle import add_shutdown_hook, shutdown_hooks
from tests.utils.flask_client_factory import make_client, shutdown_app


def test_create_app__reads_config_from_environment(config_path, monkeypatch):
    """The gunicorn entry point `apps.auth_service.app:create_app()` takes AUTH_SERVICE_CONFIG."""
    monkeypatch.setenv("AUTH_SERVICE_CONFIG", str(config_path))
    with make_client(create_app, configure_logging=False) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200
    assert logging_lib.active_runtime() is None


def test_create_app__gunicorn_entry_point_configures_logging_from_env(config_path, monkeypatch):
    """Config found through the environment also sets up logging_lib from LOG_*."""
    monkeypatch.setenv("AUTH_SERVICE_CONFIG", str(config_path))
    monkeypatch.setenv("LOG_LEVEL", "warning")
    try:
        with make_client(create_app) as client:
            assert client.get("/healthz").status_code == 200
            runtime = logging_lib.active_runtime()
            assert runtime is not None
            assert runtime.config.level_number == 30
    finally:
        logging_lib.reset()


def test_create_app__settings_given__leaves_logging_alone(settings):
    with make_client(create_app, settings) as client:
        assert client.get("/healthz").status_code == 200
    assert logging_lib.active_runtime() is None


def test_create_app__builds_memory_replay_cache_by_default(settings):
    app = create_app(settings)
    try:
        assert isinstance(app.extensions[EXTENSION_KEY].replay_cache, MemoryReplayCache)
        assert len(shutdown_hooks(app)) == 1
    finally:
        shutdown_app(app)


def test_create_app__takes_settings_built_in_code(make_settings):
    """Settings built in code (tests, embedders) need no file."""
    app = create_app(make_settings(token_lifetime_seconds=60))
    try:
        assert app.extensions[EXTENSION_KEY].settings.token_lifetime_seconds == 60
    finally:
        shutdown_app(app)


def test_create_app__redis_url_builds_redis_cache(make_settings):
    app = create_app(make_settings(replay_cache_url="redis://127.0.0.1:6399/0"))
    try:
        assert isinstance(app.extensions[EXTENSION_KEY].replay_cache, RedisReplayCache)
    finally:
        shutdown_app(app)


def test_worker_exit__runs_the_apps_shutdown_hooks(make_settings):
    """Under gunicorn the hooks run when the worker exits: the Redis client is closed."""
    app = create_app(make_settings(replay_cache_url="redis://127.0.0.1:6399/0"))
    redis_client = app.extensions[EXTENSION_KEY].replay_cache._client
    closed = []
    redis_client.close = lambda: closed.append(True)
    with capture_logs() as events:
        worker_exit(server=None, worker=SimpleNamespace(wsgi=app))
    assert closed == [True]
    assert shutdown_hooks(app) == ()
    assert [(e["event"], e["hooks"]) for e in events] == [("app.shutdown", 1)]


def test_worker_exit__failing_hook_logged_by_type_and_the_worker_still_exits(make_settings):
    app = create_app(make_settings())
    warnings = []
    server = SimpleNamespace(log=SimpleNamespace(warning=lambda *args: warnings.append(args)))

    def failing():
        raise OSError("redis://:hunter2@cache refused")

    add_shutdown_hook(app, failing)
    worker_exit(server=server, worker=SimpleNamespace(wsgi=app))
    assert warnings == [("A shutdown hook of the app failed: %s", "OSError")]
    assert shutdown_hooks(app) == ()


def test_create_app__directory_registry_owns_its_http_client(make_settings):
    app = create_app(
        make_settings(
            registry={
                "source": "directory",
                "url": "https://dir.example.test",
                "timeout_seconds": 0.5,
            }
        )
    )
    hooks = shutdown_hooks(app)
    registry = app.extensions[EXTENSION_KEY].authenticator._registry
    shutdown_app(app)
    assert isinstance(registry, DirectoryClientRegistry)
    assert len(hooks) == 2
    assert registry._http.is_closed
    assert registry._http.timeout == httpx.Timeout(0.5, connect=0.5)


def test_create_app__injected_collaborators_are_not_closed(make_app, replay_cache, make_key_loader):
    app = make_app(key_loader=make_key_loader(), client_registry=_NoClients())
    assert shutdown_hooks(app) == ()
    with app.test_client() as client:
        response = client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": "Basic c3ZjLWJhc2ljOng="},
        )
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"token_ttl": 60}, "token_ttl: is not a known setting"),
        ({"token_lifetime_seconds": 0}, "token_lifetime_seconds: must be at least 1"),
    ],
    ids=["unknown-field", "invalid-value"],
)
def test_create_app__bad_config_file__settings_error(
    config_data, write_config, monkeypatch, change, problem
):
    monkeypatch.setenv("AUTH_SERVICE_CONFIG", str(write_config({**config_data, **change})))
    with pytest.raises(SettingsError, match=problem):
        create_app(configure_logging=False)


def test_create_app__collaborators_are_keyword_only(settings):
    """A collaborator passed by position would be taken for something else."""
    with pytest.raises(TypeError):
        create_app(settings, lambda: 0.0)  # type: ignore[misc]


def test_create_app__world_readable_key_refused_at_startup(settings, tmp_path):
    (tmp_path / "keys" / "active.pem").chmod(0o644)
    with pytest.raises(KeyFileError, match=r"active\.pem: is accessible by group or others"):
        create_app(settings)


def test_create_app__missing_key_refused_at_startup(settings, tmp_path):
    (tmp_path / "keys" / "active.pem").unlink()
    with pytest.raises(KeyFileError, match=r"active\.pem: cannot be read"):
        create_app(settings)


def test_create_app__no_config_at_all():
    with pytest.raises(SettingsError, match="AUTH_SERVICE_CONFIG"):
        create_app()


def test_create_app__request_body_limit_from_config(make_app, make_settings):
    app = make_app(settings=make_settings(max_request_bytes=2048))
    # One byte above the limit, so an oversized chunked body is detected, not cut.
    assert app.config["MAX_CONTENT_LENGTH"] == 2049


class _NoClients:
    def get(self, client_id):
        return None


@pytest.mark.parametrize(
    "environ",
    [{"SERVICE_WORKERS": "2"}, {"SERVER_SOFTWARE": "gunicorn/27.0.1"}],
    ids=["two-workers", "gunicorn-without-the-service-config"],
)
def test_create_app__memory_stores_with_several_workers_refuse_to_start(
    settings, monkeypatch, environ
):
    """Per-process replay caches would accept a replay on another worker."""
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        create_app(settings)
    (problem,) = caught.value.problems
    assert problem.startswith("replay_cache_url is memory:// (one per process) but the service")
    assert "allow_per_process_storage = true" in problem


@pytest.mark.parametrize(
    ("environ", "changes"),
    [
        ({"SERVICE_WORKERS": "1"}, {}),
        ({"SERVICE_WORKERS": "2"}, {"allow_per_process_storage": True}),
        ({"SERVICE_WORKERS": "2"}, {"replay_cache_url": "redis://127.0.0.1:6399/0"}),
    ],
    ids=["one-worker", "explicitly-allowed", "redis"],
)
def test_create_app__per_process_stores_accepted_when_safe_or_allowed(
    make_settings, monkeypatch, environ, changes
):
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    app = create_app(make_settings(**changes))
    assert app.test_client().get("/healthz").status_code == 200
    shutdown_app(app)
