"""Every error is the service's JSON; 405 names Allow; a crash is logged by type and place."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

import flask
import pytest
import structlog
from structlog.testing import LogCapture, capture_logs
from werkzeug.exceptions import (
    HTTPException,
    ImATeapot,
    MethodNotAllowed,
    NotImplemented,
    RequestEntityTooLarge,
)

from apps.kernel.errors import (
    DESCRIPTIONS,
    UNHANDLED_EVENT,
    ErrorReply,
    register_error_handlers,
    reply_for,
)


def render(reply: ErrorReply) -> flask.Response:
    response = flask.jsonify({"status": reply.status, "detail": reply.description})
    response.status_code = reply.status
    response.headers.update(dict(reply.headers))
    return response


@pytest.fixture
def client(app):
    @app.get("/items")
    def items():
        return {"items": []}

    @app.post("/crash")
    def crash():
        raise RuntimeError("postgres://admin:hunter2@db")

    register_error_handlers(app, render)
    return app.test_client()


def test_unknown_path__404_as_the_services_json(client):
    response = client.get("/nowhere?q=<script>")
    assert response.status_code == 404
    assert response.get_json() == {"status": 404, "detail": "no resource at this path"}
    assert "script" not in response.get_data(as_text=True)


def test_wrong_method__405_with_allow(client):
    response = client.delete("/items")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert response.get_json()["detail"] == DESCRIPTIONS[405]


def test_unexpected_exception__500_logged_by_type_and_place_never_the_message(client):
    with capture_logs() as events:
        response = client.post("/crash")
    assert response.status_code == 500
    assert response.get_json() == {"status": 500, "detail": DESCRIPTIONS[500]}
    (event,) = [e for e in events if e["event"] == UNHANDLED_EVENT]
    assert event["error_type"] == "RuntimeError"
    assert event["raised_at"].endswith(" in crash")
    assert "test_errors.py:" in event["raised_at"]
    assert "hunter2" not in repr(events)


@pytest.mark.parametrize(
    ("exc", "status", "description"),
    [
        (RequestEntityTooLarge(), 413, "the request body is too large"),
        (ImATeapot(), 418, DESCRIPTIONS[400]),  # another client error: the generic 4xx text
        (NotImplemented(), 501, DESCRIPTIONS[500]),  # another server error: the generic 5xx text
        (HTTPException(), 500, DESCRIPTIONS[500]),  # no status at all: a server error
    ],
    ids=["413", "418", "501", "no-status"],
)
def test_reply_for__fixed_descriptions_never_werkzeugs_text(exc, status, description):
    assert reply_for(exc) == ErrorReply(status, description, {})


def test_origin__an_exception_never_raised_has_no_place():
    from apps.kernel.errors import _origin

    assert _origin(RuntimeError("made, not raised")) is None


def test_reply_for__405_names_the_allowed_methods_in_allow():
    """A renderer copies ``headers`` as they are: the name is the one RFC 9110 spells."""
    assert reply_for(MethodNotAllowed(["POST", "GET"])) == ErrorReply(
        405, DESCRIPTIONS[405], {"Allow": "GET, POST"}
    )
    assert reply_for(MethodNotAllowed()).headers == {}


@pytest.fixture
def named_events() -> Iterator[list[MutableMapping[str, Any]]]:
    """Events as structlog hands them on, each with the name of the stdlib logger it was
    emitted on (what logging_lib's pipeline writes as ``logger``)."""
    capture = LogCapture()
    saved = structlog.get_config()
    structlog.configure(
        processors=[structlog.stdlib.add_logger_name, capture],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )
    try:
        yield capture.entries
    finally:
        structlog.configure(**saved)


def test_unexpected_exception__logged_on_the_apps_logger(app, client, named_events):
    """The crash line is on the logger named like the app (``apps.api``), for routing."""
    client.post("/crash")
    crashes = [e for e in named_events if e["event"] == UNHANDLED_EVENT]
    assert [(e["logger"], e["log_level"], e["error_type"]) for e in crashes] == [
        (app.name, "error", "RuntimeError")
    ]
    assert app.name == "kernel_test"
