"""Shutdown hooks: last registered first, each once, every one despite failures."""

from __future__ import annotations

import os

import pytest
from structlog.testing import capture_logs

from apps.kernel.lifecycle import SHUTDOWN_EVENT, add_shutdown_hook, shut_down, shutdown_hooks


def test_shut_down__runs_hooks_last_registered_first_and_each_once(app):
    ran = []
    add_shutdown_hook(app, lambda: ran.append("database"))
    add_shutdown_hook(app, lambda: ran.append("http client"))
    assert len(shutdown_hooks(app)) == 2
    with capture_logs() as events:
        shut_down(app)
        shut_down(app)
    assert ran == ["http client", "database"]
    assert shutdown_hooks(app) == ()
    assert [e["hooks"] for e in events if e["event"] == SHUTDOWN_EVENT] == [2, 0]
    assert events[0]["pid"] == os.getpid()


def test_shut_down__a_failing_hook_does_not_stop_the_others_and_is_raised_after(app):
    ran = []
    add_shutdown_hook(app, lambda: ran.append("first"))
    add_shutdown_hook(app, lambda: (_ for _ in ()).throw(ConnectionError("redis://:pw@host")))
    add_shutdown_hook(app, lambda: (_ for _ in ()).throw(OSError("second")))
    with capture_logs() as events, pytest.raises(OSError, match="second"):
        shut_down(app)
    assert ran == ["first"]
    (event,) = events
    assert event["failures"] == ["OSError", "ConnectionError"]
    assert "pw" not in repr(event)


def test_shut_down__an_app_without_hooks_logs_nothing_to_run(app):
    with capture_logs() as events:
        shut_down(app)
    assert [(e["event"], e["hooks"], e["failures"]) for e in events] == [(SHUTDOWN_EVENT, 0, [])]
