import logging

import structlog

import logging_lib
from logging_lib.redaction import REDACTED
from logging_lib.testing import capture_events


class TestCaptureEvents:
    def test_capture_events__collects_structlog_events_as_dicts(self):
        structlog.contextvars.bind_contextvars(request_id="r-9")
        with capture_events() as events:
            structlog.get_logger("svc").info("done", count=2, password="pw")
        assert events == [
            {
                "event": "done",
                "count": 2,
                "password": REDACTED,
                "request_id": "r-9",
                "level": "info",
                "log_level": "info",
            }
        ]

    def test_capture_events__can_see_unredacted_values(self):
        with capture_events(redact=False) as events:
            structlog.get_logger().info("raw", password="pw")
        assert events[0]["password"] == "pw"

    def test_capture_events__collects_stdlib_records(self):
        with capture_events() as events:
            logging.getLogger("lib").warning("disk %s", "full")
        assert events == [
            {"event": "disk full", "level": "warning", "log_level": "warning", "logger": "lib"}
        ]

    def test_capture_events__formats_stdlib_exceptions(self):
        with capture_events() as events:
            try:
                raise KeyError("missing")
            except KeyError:
                logging.getLogger("lib").exception("lookup failed")
        assert "KeyError: 'missing'" in events[0]["exception"]

    def test_capture_events__emits_nothing_and_restores_configuration(self, logging_setup):
        processors = structlog.get_config()["processors"]
        saved = list(processors)
        root_handlers = list(logging.getLogger().handlers)
        with capture_events() as events:
            logging_lib.get_logger("svc").info("captured")
        logging_lib.get_logger("svc").info("emitted")

        assert [e["event"] for e in events] == ["captured"]
        assert events[0]["logger"] == "svc"
        assert [e["event"] for e in logging_setup.events()] == ["emitted"]
        assert structlog.get_config()["processors"] is processors
        assert processors == saved
        assert logging.getLogger().handlers == root_handlers

    def test_reset__clears_bound_context(self):
        structlog.contextvars.bind_contextvars(tenant_id="t")
        logging_lib.testing.reset()
        assert structlog.contextvars.get_contextvars() == {}
