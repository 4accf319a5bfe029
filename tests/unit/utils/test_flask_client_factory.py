import flask
import pytest

from apps.kernel.lifecycle import add_shutdown_hook, shutdown_hooks
from tests.utils.flask_client_factory import (
    app_from_factory,
    app_maker,
    build_app,
    client_maker,
    make_client,
    shutdown_app,
)


def create_app(greeting="hello", calls=None):
    app = flask.Flask("factory_under_test")
    app.config["GREETING"] = greeting

    @app.get("/greet")
    def greet():
        return {"greeting": app.config["GREETING"], "testing": app.testing}

    if calls is not None:
        add_shutdown_hook(app, lambda: calls.append("first"))
        add_shutdown_hook(app, lambda: calls.append("second"))
    return app


def test_make_client__passes_overrides_to_the_factory():
    with make_client(create_app, greeting="hi") as client:
        response = client.get("/greet")
    assert response.json == {"greeting": "hi", "testing": True}


def test_make_client__runs_shutdown_hooks_in_reverse_order_even_on_failure():
    calls = []
    with pytest.raises(RuntimeError), make_client(create_app, calls=calls):
        raise RuntimeError("test failed")
    assert calls == ["second", "first"]


def test_make_client__leaves_no_context_pushed():
    with make_client(create_app) as client:
        client.get("/greet")
        assert flask.has_request_context()
    assert not flask.has_request_context()
    assert not flask.has_app_context()


def test_build_app__rejects_a_factory_that_returns_no_app():
    with pytest.raises(TypeError, match="not a Flask app"):
        build_app(lambda: object())


def test_shutdown_app__runs_every_hook_and_reraises_the_first_error():
    app = flask.Flask("hooks")
    ran = []

    def failing():
        ran.append("failing")
        raise OSError("close failed")

    add_shutdown_hook(app, lambda: ran.append("ok"))
    add_shutdown_hook(app, failing)
    with pytest.raises(OSError, match="close failed"):
        shutdown_app(app)
    assert ran == ["failing", "ok"]
    assert shutdown_hooks(app) == ()
    shutdown_app(app)  # hooks run once: nothing left to run
    assert ran == ["failing", "ok"]


def test_app_from_factory__yields_testing_app():
    with app_from_factory(create_app) as app:
        assert app.testing


def test_app_maker__defaults_overridden_by_keyword_and_every_app_shut_down():
    calls = []
    with app_maker(create_app, greeting="default", calls=calls) as make:
        first, second = make(), make(greeting="changed")
        assert (first.config["GREETING"], second.config["GREETING"]) == ("default", "changed")
        assert (first.testing, second.testing) == (True, True)
        assert calls == []
    assert calls == ["second", "first", "second", "first"]


def test_client_maker__clients_of_the_apps_made_leave_no_context_pushed():
    with app_maker(create_app) as make_app, client_maker(make_app) as make:
        client = make(greeting="hi")
        assert client.get("/greet").json == {"greeting": "hi", "testing": True}
        assert flask.has_request_context()
    assert not flask.has_request_context()
    assert not flask.has_app_context()
