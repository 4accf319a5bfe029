"""/healthz and /readyz: one JSON shape, 503 when a check fails or raises, never cached."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from apps.kernel.health import init_health


def test_healthz__ok_without_running_checks(app):
    calls = []
    init_health(app, {"database": lambda: calls.append(1) or True})
    response = app.test_client().get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})
    assert response.headers["Cache-Control"] == "no-store"
    assert calls == []


def test_readyz__every_check_passes(app):
    init_health(app, {"database": lambda: True, "keys": lambda: True})
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok", "keys": "ok"}}
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("result", [False, None, "yes", 1], ids=repr)
def test_readyz__a_check_that_is_not_true_fails_readiness(app, result):
    init_health(app, {"database": lambda: True, "keys": lambda: result})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "keys": "failing"},
    }


def test_readyz__a_check_that_raises_is_failing_and_logged_by_type_only(app):
    def broken() -> bool:
        raise ConnectionError("redis://user:secret@10.0.0.5")

    init_health(app, {"cache": broken})
    with capture_logs() as events:
        response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"cache": "failing"}
    assert events == [
        {
            "event": "health.check_failed",
            "check": "cache",
            "error_type": "ConnectionError",
            "log_level": "warning",
        }
    ]


def test_init_health__without_checks__refused(app):
    """A readiness probe that checks nothing would always say ready."""
    with pytest.raises(ValueError, match="at least one check"):
        init_health(app, {})
