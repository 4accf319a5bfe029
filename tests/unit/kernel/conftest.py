"""Fixtures of the kernel layer: bare Flask apps, no service built on top."""

from __future__ import annotations

import flask
import pytest


@pytest.fixture
def app() -> flask.Flask:
    """An app with nothing registered: each test adds the kernel part it tests."""
    app = flask.Flask("kernel_test")
    app.config["TESTING"] = True
    return app
