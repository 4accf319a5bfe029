import flask
import pytest
import structlog

from logging_lib.flask import (
    ACCESS_EVENT,
    REQUEST_ID_HEADER,
    init_app,
    is_well_formed_request_id,
)
from logging_lib.testing import capture_events
from tests.utils.logging import assert_event


@pytest.fixture
def make_app(clock):
    """Factory: a small app instrumented by ``init_app(app, **overrides)``.

    Its ``/items`` view takes 250 ms of ``clock``.
    """

    def make(**overrides):
        app = flask.Flask("logging_test_app")
        overrides.setdefault("new_request_id", lambda: "generated-id")
        init_app(app, **overrides)

        @app.get("/items/<int:item_id>")
        def item(item_id):
            clock.advance(0.25)
            structlog.contextvars.bind_contextvars(tenant_id="acme", client_id="cli-1")
            structlog.get_logger("views").info("item.read", item_id=item_id)
            return {"id": item_id}

        @app.get("/boom")
        def boom():
            raise RuntimeError("view failed")

        return app

    return make


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def events():
    with capture_events() as captured:
        yield captured


class TestRequestId:
    def test_init_app__accepts_a_well_formed_incoming_id(self, app, events):
        response = app.test_client().get("/items/3", headers={REQUEST_ID_HEADER: "abc-123.x"})
        assert response.headers[REQUEST_ID_HEADER] == "abc-123.x"
        assert assert_event(events, event="item.read")["request_id"] == "abc-123.x"

    @pytest.mark.parametrize(
        "incoming", ["", "has space", "x" * 129, "-leading-dash", "semi;colon", "ünïcode"]
    )
    def test_init_app__replaces_a_malformed_or_oversized_id(self, app, events, incoming):
        response = app.test_client().get("/items/3", headers={REQUEST_ID_HEADER: incoming})
        assert response.headers[REQUEST_ID_HEADER] == "generated-id"
        assert assert_event(events, event=ACCESS_EVENT)["request_id"] == "generated-id"

    def test_init_app__generates_random_ids_by_default(self):
        app = flask.Flask("default_ids")
        init_app(app)
        app.add_url_rule("/", view_func=lambda: "ok")
        client = app.test_client()
        first = client.get("/").headers[REQUEST_ID_HEADER]
        second = client.get("/").headers[REQUEST_ID_HEADER]
        assert first != second
        assert is_well_formed_request_id(first)
        assert len(first) == 32


class TestAccessEvent:
    def test_init_app__emits_one_access_event_with_route_status_duration(
        self, make_app, events, clock
    ):
        app = make_app(clock=clock.monotonic)
        app.test_client().get("/items/9")
        access = assert_event(events, event=ACCESS_EVENT)
        assert access == {
            "event": ACCESS_EVENT,
            "method": "GET",
            "route": "/items/<int:item_id>",
            "status": 200,
            "duration_ms": 250.0,
            "request_id": "generated-id",
            "tenant_id": "acme",
            "client_id": "cli-1",
            "level": "info",
            "log_level": "info",
        }

    def test_init_app__unmatched_route_is_logged_as_none(self, app, events):
        assert app.test_client().get("/nowhere").status_code == 404
        access = assert_event(events, event=ACCESS_EVENT)
        assert access["route"] is None
        assert access["status"] == 404

    def test_init_app__server_error_is_logged_at_error_level(self, app, events):
        assert app.test_client().get("/boom").status_code == 500
        access = assert_event(events, event=ACCESS_EVENT)
        assert (access["status"], access["level"]) == (500, "error")

    def test_init_app__propagated_exception_still_gets_an_access_event(self, app, events):
        app.testing = True  # exceptions propagate, after_request hooks are skipped
        with pytest.raises(RuntimeError, match="view failed"):
            app.test_client().get("/boom")
        assert assert_event(events, event=ACCESS_EVENT)["status"] == 500
        assert structlog.contextvars.get_contextvars() == {}

    def test_init_app__earlier_hook_answering_the_request_is_covered(self, events):
        app = flask.Flask("early_hook")
        app.before_request(lambda: ("denied", 403))
        init_app(app, new_request_id=lambda: "late-id")
        response = app.test_client().get("/anything")
        assert response.status_code == 403
        assert response.headers[REQUEST_ID_HEADER] == "late-id"
        assert assert_event(events, event=ACCESS_EVENT)["status"] == 403

    def test_init_app__keeps_values_bound_by_an_earlier_hook(self, events):
        app = flask.Flask("earlier_binding")
        app.before_request(lambda: structlog.contextvars.bind_contextvars(tenant_id="t-early"))
        init_app(app, new_request_id=lambda: "rid")
        app.add_url_rule("/", view_func=lambda: "ok")
        app.test_client().get("/")
        access = assert_event(events, event=ACCESS_EVENT)
        assert (access["tenant_id"], access["request_id"]) == ("t-early", "rid")
        assert structlog.contextvars.get_contextvars() == {}

    def test_init_app__clears_context_after_each_request(self, app, events):
        app.test_client().get("/items/1")
        assert structlog.contextvars.get_contextvars() == {}

    def test_init_app__works_without_configure(self, app, capsys):
        app.test_client().get("/items/1")
        assert ACCESS_EVENT in capsys.readouterr().out

    def test_init_app__access_events_reach_configured_sinks(self, app, logging_setup):
        app.test_client().get("/items/1", headers={REQUEST_ID_HEADER: "req-7"})
        access = assert_event(logging_setup.events(), event=ACCESS_EVENT)
        assert access["request_id"] == "req-7"
        assert access["logger"] == "http"
