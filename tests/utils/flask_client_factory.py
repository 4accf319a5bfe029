"""Build Flask apps and test clients from any app factory.

    with make_client(create_app, settings, clock=clock.time) as client:
        assert client.get("/healthz").status_code == 200

The factory is called with the given arguments, so each test states the
settings and collaborators it depends on. On exit the client's pushed contexts
are closed and the app is shut down the way gunicorn's ``worker_exit`` does it
in production: every shutdown hook the app registered
(:func:`apps.kernel.lifecycle.add_shutdown_hook`: database connections, HTTP
clients, Redis clients) runs, last registered first, even if the test failed.

A layer's ``make_app`` and ``make_client`` fixtures are :func:`app_maker` and
:func:`client_maker`: factories of apps and clients with the layer's test
collaborators as defaults, each torn down with the fixture.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from apps.kernel.lifecycle import shut_down


def build_app(factory: Callable[..., Flask], /, *args: Any, **overrides: Any) -> Flask:
    """Call ``factory(*args, **overrides)`` and put the app in testing mode."""
    app = factory(*args, **overrides)
    if not isinstance(app, Flask):
        raise TypeError(f"{factory!r} returned {type(app).__name__}, not a Flask app")
    app.config["TESTING"] = True
    return app


def shutdown_app(app: Flask) -> None:
    """Run the app's shutdown hooks (last registered first); each runs once."""
    shut_down(app)


@contextmanager
def app_from_factory(
    factory: Callable[..., Flask], /, *args: Any, **overrides: Any
) -> Iterator[Flask]:
    """Yield a testing app built by ``factory``; shut it down afterwards."""
    app = build_app(factory, *args, **overrides)
    try:
        yield app
    finally:
        shutdown_app(app)


@contextmanager
def make_client(
    factory: Callable[..., Flask], /, *args: Any, **overrides: Any
) -> Iterator[FlaskClient]:
    """Yield a test client for an app built by ``factory``; tear both down afterwards."""
    with app_from_factory(factory, *args, **overrides) as app, app.test_client() as client:
        yield client


@contextmanager
def app_maker(factory: Callable[..., Flask], /, **defaults: Any) -> Iterator[Callable[..., Flask]]:
    """Yield ``make(**overrides)``: a testing app of ``factory(**defaults, **overrides)``.

    Every app made is shut down on exit, last made first.
    """
    with ExitStack() as stack:

        def make(**overrides: Any) -> Flask:
            arguments = {**defaults, **overrides}
            return stack.enter_context(app_from_factory(factory, **arguments))

        yield make


@contextmanager
def client_maker(make_app: Callable[..., Flask]) -> Iterator[Callable[..., FlaskClient]]:
    """Yield ``make(**overrides)``: a test client of ``make_app(**overrides)``, closed on exit."""
    with ExitStack() as stack:

        def make(**overrides: Any) -> FlaskClient:
            return stack.enter_context(make_app(**overrides).test_client())

        yield make
