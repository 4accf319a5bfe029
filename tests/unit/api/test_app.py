"""create_app wiring: settings from the environment, probes, metrics, errors, shutdown."""

from __future__ import annotations

import sqlite3
from types import SimpleNamespace

import httpx
import pytest
from prometheus_client import CollectorRegistry
from structlog.testing import capture_logs

import logging_lib
from apps.api.app import create_app
from apps.api.errors import PROBLEM_MEDIA_TYPE
from apps.api.jwks import StaticKeySet
from apps.api.services import EXTENSION_KEY
from apps.api.storage.projects import new_project_id
from apps.kernel.gunicorn import worker_exit
from apps.kernel.lifecycle import shutdown_hooks
from tests.unit.api.tokens import AUDIENCE, ISSUER, JWKS_URL
from tests.utils.flask_client_factory import app_from_factory
from tests.utils.healthcheck import assert_healthy
from tests.utils.logging import assert_event, configured_logging, metric_value


class CrashingVerifier:
    """A token verifier that crashes, a secret in its message; ready otherwise."""

    def verify(self, token):
        raise RuntimeError("database password is hunter2")

    def ready(self):
        return True


@pytest.fixture
def api_environment(monkeypatch, tmp_path):
    values = {
        "API_JWKS_URL": JWKS_URL,
        "API_ISSUER": ISSUER,
        "API_AUDIENCE": AUDIENCE,
        "API_DATABASE_PATH": str(tmp_path / "from-env" / "api.sqlite3"),
        "API_RATE_LIMIT": "7/minute",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture
def reset_logging():
    yield
    logging_lib.reset()


class TestCreateApp:
    def test_create_app__no_settings__reads_environment(
        self, make_client, api_environment, tmp_path, acme
    ):
        """Without settings the factory parses API_* and creates the database file."""
        client = make_client(settings=None, configure_logging=False)
        assert (tmp_path / "from-env" / "api.sqlite3").is_file()
        response = client.get("/v1/projects", headers=acme.headers())
        assert response.headers["RateLimit-Limit"] == "7"

    def test_create_app__from_environment__configures_logging(
        self, make_client, api_environment, reset_logging
    ):
        """The production path also configures logging_lib from LOG_* variables."""
        make_client(settings=None)
        assert logging_lib.active_runtime() is not None

    def test_create_app__settings_given__leaves_logging_alone(self, client):
        """Tests and embedders that pass settings keep their logging setup."""
        assert logging_lib.active_runtime() is None

    def test_create_app__twice_on_one_file__schema_kept(self, make_client, acme):
        """Creating the schema is idempotent: a second app sees the first one's data."""
        first = make_client()
        first.post("/v1/projects", json={"name": "kept"}, headers=acme.headers())
        second = make_client(registry=CollectorRegistry())
        assert [
            p["name"] for p in second.get("/v1/projects", headers=acme.headers()).json["items"]
        ] == ["kept"]

    def test_create_app__owns_http_client__closed_on_shutdown(self, settings, rate_limit_storage):
        """A JWKS client the app created is closed by its shutdown hook."""
        with app_from_factory(create_app, settings, rate_limit_storage=rate_limit_storage) as app:
            owners = [hook.__self__ for hook in shutdown_hooks(app)]
            (http_client,) = [owner for owner in owners if isinstance(owner, httpx.Client)]
            assert http_client.is_closed is False
        assert http_client.is_closed is True

    def test_worker_exit__runs_the_apps_shutdown_hooks(self, settings, rate_limit_storage):
        """Under gunicorn the hooks run when the worker exits, not only in tests."""
        app = create_app(settings, rate_limit_storage=rate_limit_storage)
        database = app.extensions[EXTENSION_KEY].database
        connection = database.connection()
        with capture_logs() as events:
            worker_exit(server=None, worker=SimpleNamespace(wsgi=app))
        assert shutdown_hooks(app) == ()
        with pytest.raises(sqlite3.ProgrammingError):
            connection.execute("SELECT 1")
        assert [(e["event"], e["hooks"]) for e in events] == [("app.shutdown", 2)]

    def test_create_app__default_storage_and_registry(self, settings, key_source, clock, acme):
        """Without injected storage the memory:// limiter from settings is used."""
        with app_from_factory(create_app, settings, key_source=key_source, clock=clock.time) as app:
            response = app.test_client().get("/v1/projects", headers=acme.headers())
        assert response.status_code == 200
        assert response.headers["RateLimit-Limit"] == "100"


class TestProbes:
    def test_probes__ready(self, client):
        """With a database and keys the service is healthy and ready."""
        assert_healthy(client)
        assert client.get("/healthz").json == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.json == {"status": "ok", "checks": {"database": "ok", "keys": "ok"}}
        assert ready.headers["Cache-Control"] == "no-store"

    def test_readyz__no_keys__503(self, make_client):
        """Without verification keys the service is not ready."""
        response = make_client(key_source=StaticKeySet([])).get("/readyz")
        assert response.status_code == 503
        assert response.json == {
            "status": "unavailable",
            "checks": {"database": "ok", "keys": "failing"},
        }

    @pytest.mark.parametrize("breakage", ["directory", "empty_file"])
    def test_readyz__database_broken__503(self, make_client, database_path, breakage):
        """An unopenable or schema-less database makes the service not ready."""
        client = make_client()
        for suffix in ("", "-wal", "-shm"):
            database_path.with_name(database_path.name + suffix).unlink(missing_ok=True)
        if breakage == "directory":
            database_path.mkdir()
        else:
            database_path.write_bytes(b"")
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json["checks"] == {"database": "failing", "keys": "ok"}

    def test_readyz__check_raises__failing_and_logged_by_type(self, make_client):
        """A check that crashes makes the service not ready (fail closed), without detail."""

        class Unreachable:
            def verify(self, token):
                raise AssertionError("not called")

            def ready(self):
                raise ConnectionError("token service at 10.0.0.5 refused")

        client = make_client(token_verifier=Unreachable())
        with capture_logs() as events:
            response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json["checks"] == {"database": "ok", "keys": "failing"}
        (failed,) = [e for e in events if e["event"] == "health.check_failed"]
        assert (failed["check"], failed["error_type"]) == ("keys", "ConnectionError")
        assert "10.0.0.5" not in repr(events)

    def test_readyz__jwks__fetched_through_injected_client(
        self, make_client, signing_key, metrics_registry, acme
    ):
        """Readiness loads the JWKS through the injected HTTP client; tokens then verify."""
        requests = []

        def handler(request):
            requests.append(str(request.url))
            return httpx.Response(200, json={"keys": [signing_key.public_jwk]})

        with httpx.Client(transport=httpx.MockTransport(handler)) as http:
            client = make_client(key_source=None, http_client=http)
            assert client.get("/readyz").status_code == 200
            assert client.get("/v1/projects", headers=acme.headers()).status_code == 200
        assert requests == [JWKS_URL]
        assert metrics_registry.get_sample_value("api_jwks_fetches_total", {"outcome": "ok"}) == 1

    def test_metrics__not_served_by_the_public_app(self, client, acme, metrics_registry):
        """Token-rejection reasons stay off the public port; the app's registry counts them."""
        client.get("/v1/projects", headers=acme.headers(aud="other"))
        response = client.get("/metrics")
        assert response.status_code == 404
        assert response.mimetype == PROBLEM_MEDIA_TYPE
        assert response.json["type"].endswith(":not-found")
        rejections = metric_value(metrics_registry, "api_token_rejections_total", reason="audience")
        assert rejections == 1


class TestErrors:
    def test_unknown_path__404_problem(self, client):
        """Paths the API does not serve answer 404 problem+json."""
        response = client.get("/nowhere")
        assert response.status_code == 404
        assert response.mimetype == PROBLEM_MEDIA_TYPE
        assert response.json == {
            "type": "urn:problem-type:projects-api:not-found",
            "title": "Not found",
            "status": 404,
            "detail": "no resource at this path",
            "instance": "/nowhere",
        }

    @pytest.mark.parametrize(
        ("method", "path", "allow"),
        [
            ("PUT", "/v1/projects", "GET, HEAD, POST"),
            ("POST", "/v1/projects/x", "DELETE, GET, HEAD, PATCH"),
            ("OPTIONS", "/healthz", "GET, HEAD"),
        ],
    )
    def test_wrong_method__405_problem_with_allow(self, client, method, path, allow):
        """Undocumented methods answer 405 with Allow, OPTIONS included."""
        response = client.open(path, method=method)
        assert response.status_code == 405
        assert response.headers["Allow"] == allow
        assert response.json["type"].endswith(":method-not-allowed")

    def test_unexpected_exception__500_problem_logged(self, make_client, acme):
        """A crash answers a generic 500 problem and is logged with its type."""
        client = make_client(token_verifier=CrashingVerifier())
        with capture_logs() as events:
            response = client.get("/v1/projects", headers=acme.headers())
        assert response.status_code == 500
        assert response.json["type"].endswith(":internal")
        assert "hunter2" not in response.get_data(as_text=True)
        (crash,) = [e for e in events if e["event"] == "request.unhandled_exception"]
        assert crash["error_type"] == "RuntimeError"
        assert crash["raised_at"].endswith(" in verify")
        assert "hunter2" not in repr(events)

    def test_unexpected_exception__logged_on_the_apps_logger(self, make_client, acme):
        """The crash line is on ``apps.api``, where every logger of the service starts."""
        client = make_client(token_verifier=CrashingVerifier())
        with configured_logging() as logs:
            client.get("/v1/projects", headers=acme.headers())
            crash = assert_event(logs.events(), event="request.unhandled_exception")
        assert (crash["logger"], crash["level"]) == ("apps.api", "error")

    def test_request_id__echoed(self, client):
        """logging_lib's integration keeps a well-formed X-Request-ID."""
        response = client.get("/healthz", headers={"X-Request-ID": "req-123"})
        assert response.headers["X-Request-ID"] == "req-123"


class TestStorage:
    def test_database__relative_file_name__created_in_working_directory(
        self, make_client, make_settings, monkeypatch, tmp_path, acme
    ):
        """The default ``api.sqlite3`` is a file in the working directory, in WAL mode."""
        import sqlite3
        from pathlib import Path

        monkeypatch.chdir(tmp_path)
        client = make_client(settings=make_settings(database_path=Path("api.sqlite3")))
        assert (
            client.post("/v1/projects", json={"name": "x"}, headers=acme.headers()).status_code
            == 201
        )
        connection = sqlite3.connect(tmp_path / "api.sqlite3")
        try:
            assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        finally:
            connection.close()

    def test_database__connection_per_thread__reused_and_closed_on_shutdown(
        self, settings, key_source, rate_limit_storage, clock, acme
    ):
        """Requests on one thread share a connection; shutdown closes every one."""
        import sqlite3

        with app_from_factory(
            create_app,
            settings,
            key_source=key_source,
            rate_limit_storage=rate_limit_storage,
            clock=clock.time,
        ) as app:
            database = app.extensions[EXTENSION_KEY].database
            client = app.test_client()
            client.get("/v1/projects", headers=acme.headers())
            first = database.connection()
            client.get("/v1/projects", headers=acme.headers())
            assert database.connection() is first
        with pytest.raises(sqlite3.ProgrammingError):
            first.execute("SELECT 1")
        reopened = database.connection()
        assert reopened is not first
        database.close()

    def test_project_ids__default_factory__random_uuids(self, make_client, acme):
        """Without an injected id factory, ids are random UUID4 strings."""
        import uuid

        client = make_client(new_id=new_project_id)
        ids = [
            client.post("/v1/projects", json={"name": "x"}, headers=acme.headers()).json["id"]
            for _ in range(2)
        ]
        assert ids[0] != ids[1]
        assert all(uuid.UUID(value).version == 4 for value in ids)


class TestPerProcessStorage:
    @pytest.mark.parametrize(
        "environ",
        [{"SERVICE_WORKERS": "3"}, {"SERVER_SOFTWARE": "gunicorn/27.0.1"}],
        ids=["three-workers", "gunicorn-without-the-service-config"],
    )
    def test_create_app__memory_rate_limit_with_several_workers__refused(
        self, settings, key_source, monkeypatch, environ
    ):
        """Each worker would count on its own: the limit would be multiplied."""
        from apps.api.settings import SettingsError

        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        with pytest.raises(SettingsError) as caught:
            create_app(settings, key_source=key_source)
        (problem,) = caught.value.problems
        assert problem.startswith("API_RATE_LIMIT_STORAGE_URL is memory:// (one per process)")
        assert "API_ALLOW_PER_PROCESS_STORAGE=true" in problem

    def test_create_app__memory_rate_limit_explicitly_allowed__starts(
        self, make_settings, key_source, monkeypatch
    ):
        monkeypatch.setenv("SERVICE_WORKERS", "3")
        settings = make_settings(allow_per_process_storage=True)
        with app_from_factory(create_app, settings, key_source=key_source) as app:
            assert app.test_client().get("/healthz").status_code == 200

    def test_from_environ__allow_per_process_storage__parsed(self):
        from apps.api.settings import Settings

        environ = {"API_JWKS_URL": JWKS_URL, "API_ISSUER": ISSUER, "API_AUDIENCE": AUDIENCE}
        assert Settings.from_environ(environ).allow_per_process_storage is False
        allowed = Settings.from_environ({**environ, "API_ALLOW_PER_PROCESS_STORAGE": "true"})
        assert allowed.allow_per_process_storage is True
