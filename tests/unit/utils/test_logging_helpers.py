import pytest
import structlog
from prometheus_client import CollectorRegistry, Counter

import logging_lib
from tests.utils.logging import (
    assert_event,
    assert_no_event,
    assert_no_secret,
    captured_events,
    configured_logging,
    find_events,
    metric_value,
)

EVENTS = [
    {"event": "http.request", "status": 200, "route": "/a"},
    {"event": "http.request", "status": 500, "route": "/b"},
    {"event": "login", "user": "ann"},
]


class TestFindAndAssertEvent:
    def test_find_events__matches_every_field(self):
        assert find_events(EVENTS, event="http.request") == EVENTS[:2]
        assert find_events(EVENTS, event="http.request", status=500) == [EVENTS[1]]
        assert find_events(EVENTS, user=None) == []

    def test_assert_event__returns_the_single_match(self):
        assert assert_event(EVENTS, event="login", user="ann") is EVENTS[2]

    def test_assert_event__fails_listing_events_when_nothing_matches(self):
        with pytest.raises(AssertionError, match=r"found 0; events:\n  \{'event': 'http.request'"):
            assert_event(EVENTS, event="logout")

    def test_assert_event__fails_on_several_matches(self):
        with pytest.raises(AssertionError, match="found 2"):
            assert_event(EVENTS, event="http.request")

    def test_assert_event__says_when_there_were_no_events(self):
        with pytest.raises(AssertionError, match=r"\(no events\)"):
            assert_event([], event="x")

    def test_assert_no_event(self):
        assert_no_event(EVENTS, event="logout")
        with pytest.raises(AssertionError, match="expected no event matching"):
            assert_no_event(EVENTS, event="login")


class TestAssertNoSecret:
    def test_assert_no_secret__accepts_clean_text_and_lines(self):
        assert_no_secret("all clear", ["hunter2"])
        assert_no_secret(["line one", "line two"], ["hunter2"])

    def test_assert_no_secret__names_the_leaked_secret(self):
        with pytest.raises(AssertionError, match="hunter2"):
            assert_no_secret(["password=hunter2"], ["hunter2", "other"])


def test_metric_value__reads_samples_and_defaults_to_zero():
    registry = CollectorRegistry()
    Counter("hits", "Hits.", ["path"], registry=registry).labels("/a").inc(2)
    assert metric_value(registry, "hits_total", path="/a") == 2
    assert metric_value(registry, "hits_total", path="/b") == 0.0


def test_captured_events__captures_then_clears_context():
    with captured_events() as events:
        structlog.contextvars.bind_contextvars(request_id="r")
        structlog.get_logger().info("inside")
    assert assert_event(events, event="inside")["request_id"] == "r"
    assert structlog.contextvars.get_contextvars() == {}


def test_configured_logging__real_pipeline_into_memory_then_reset():
    with configured_logging(level="DEBUG") as setup:
        logging_lib.get_logger("x").debug("deep", password="p")
        event = assert_event(setup.events(), event="deep")
        assert event["password"] == logging_lib.REDACTED
        assert metric_value(setup.registry, "log_events_total", level="debug") == 1
    assert logging_lib.active_runtime() is None
