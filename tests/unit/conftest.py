"""Fixtures shared by the four unit layers.

Layer-specific fixtures (apps, tokens, sinks) live in the layer's own
conftest; these are the few that more than one layer needs.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import flask
import pytest

from tests.utils.clock import FakeClock


@pytest.fixture
def temp_db_file(tmp_path: Path) -> Path:
    """A fresh, empty SQLite database file that only this test uses."""
    path = tmp_path / "test.sqlite3"
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA user_version = 0")
        connection.commit()
    finally:
        connection.close()
    return path


@pytest.fixture
def clock() -> FakeClock:
    """A clock that moves only when the test calls ``advance`` (or ``sleep``)."""
    return FakeClock()


@pytest.fixture
def mock_request() -> Callable[..., AbstractContextManager[flask.Request]]:
    """Build a real werkzeug request from keyword arguments.

        with mock_request("/v1/projects", method="POST", json={"name": "x"},
                          headers={"X-Tenant-ID": "t1"}) as request:
            assert request.get_json()["name"] == "x"

    Accepts what ``werkzeug.test.EnvironBuilder`` accepts. The request
    context is pushed on a bare app for the block and popped afterwards.
    """
    app = flask.Flask("mock_request")

    @contextmanager
    def build(path: str = "/", **kwargs: Any) -> Iterator[flask.Request]:
        with app.test_request_context(path, **kwargs):
            yield flask.request._get_current_object()  # type: ignore[attr-defined]

    return build
