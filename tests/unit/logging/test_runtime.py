import io
import logging
import sys

import httpx
import pytest
import structlog

import logging_lib
from logging_lib import (
    HttpSink,
    LoggingConfig,
    LoggingConfigError,
    MemorySink,
    RotatingFileSink,
    StreamSink,
)
from tests.utils.logging import assert_event, metric_value


class TestConfigure:
    def test_configure__structlog_events_become_json_lines(self, logging_setup):
        structlog.contextvars.bind_contextvars(request_id="r-1", tenant_id="acme")
        logging_lib.get_logger("orders").info("order.created", order_id=7)

        event = assert_event(logging_setup.events(), event="order.created")
        assert event["order_id"] == 7
        assert event["request_id"] == "r-1"
        assert event["tenant_id"] == "acme"
        assert event["level"] == "info"
        assert event["logger"] == "orders"
        assert event["timestamp"].endswith("Z")

    def test_configure__stdlib_records_share_the_pipeline(self, logging_setup):
        structlog.contextvars.bind_contextvars(request_id="r-2")
        logging.getLogger("werkzeug").warning("GET %s -> %d", "/x", 404)

        event = assert_event(logging_setup.events(), event="GET /x -> 404")
        assert event["level"] == "warning"
        assert event["logger"] == "werkzeug"
        assert event["request_id"] == "r-2"
        assert "timestamp" in event

    def test_configure__level_filters_structlog_and_stdlib(self, make_logging):
        setup = make_logging(level="warning")
        log = logging_lib.get_logger()
        log.info("hidden")
        log.warning("shown")
        logging.getLogger("lib").info("hidden too")
        logging.getLogger("lib").error("shown too")

        assert [e["event"] for e in setup.events()] == ["shown", "shown too"]

    def test_configure__counts_events_by_level(self, logging_setup):
        log = logging_lib.get_logger()
        log.info("a")
        log.info("b")
        log.error("c")
        logging.getLogger("lib").warning("d")

        registry = logging_setup.registry
        assert metric_value(registry, "log_events_total", level="info") == 2
        assert metric_value(registry, "log_events_total", level="error") == 1
        assert metric_value(registry, "log_events_total", level="warning") == 1

    def test_configure__exceptions_are_rendered_as_text(self, logging_setup):
        try:
            raise ValueError("boom")
        except ValueError:
            logging_lib.get_logger().exception("failed")
            logging.getLogger("lib").exception("failed too")

        events = logging_setup.events()
        assert "ValueError: boom" in assert_event(events, event="failed")["exception"]
        assert "ValueError: boom" in assert_event(events, event="failed too")["exception"]

    def test_configure__unserialisable_values_do_not_crash_the_caller(self, logging_setup):
        class Opaque:
            def __repr__(self):
                return "<Opaque>"

        logging_lib.get_logger().info("odd", value=Opaque(), keyed={(1, 2): "tuple key"})

        event = assert_event(logging_setup.events(), event="odd")
        assert event["value"] == "<Opaque>"
        assert event["keyed"] == {"(1, 2)": "tuple key"}

    def test_configure__console_format_is_readable_text(self, make_logging):
        setup = make_logging(format="console")
        logging_lib.get_logger().info("hello", user="ann", password="hunter2")

        (line,) = setup.sink.lines
        assert "hello" in line
        assert "user=ann" in line
        assert "hunter2" not in line

    def test_configure__is_repeatable_on_one_registry(self, metrics_registry):
        first, second = MemorySink(), MemorySink()
        logging_lib.configure(
            LoggingConfig(synchronous=True), sinks=[first], registry=metrics_registry
        )
        logging_lib.get_logger().info("one")
        logging_lib.configure(
            LoggingConfig(synchronous=True), sinks=[second], registry=metrics_registry
        )
        logging_lib.get_logger().info("two")

        assert [e["event"] for e in first.events()] == ["one"]
        assert [e["event"] for e in second.events()] == ["two"]
        assert first.closed
        assert metric_value(metrics_registry, "log_events_total", level="info") == 1

    def test_configure__defaults_to_a_private_registry_and_stderr(self, capsys):
        runtime = logging_lib.configure(LoggingConfig(synchronous=True))
        logging_lib.get_logger().info("to stderr")

        assert runtime.registry is not None
        assert metric_value(runtime.registry, "log_events_total", level="info") == 1
        assert '"event": "to stderr"' in capsys.readouterr().err
        assert logging_lib.active_runtime() is runtime

    def test_configure__rejects_a_bad_config_before_touching_anything(self):
        with pytest.raises(LoggingConfigError, match="unknown sink"):
            logging_lib.configure(LoggingConfig(sinks=("carrier-pigeon",)))
        assert logging_lib.active_runtime() is None

    def test_configure__unopenable_log_file_is_a_config_error(self, tmp_path, metrics_registry):
        config = LoggingConfig(sinks=("memory", "file"), file_path=tmp_path / "missing" / "a.log")
        with pytest.raises(LoggingConfigError, match=r"file_path '.*a\.log' cannot be opened"):
            logging_lib.configure(config, registry=metrics_registry)
        assert logging_lib.active_runtime() is None
        # nothing was registered: the registry is still usable
        logging_lib.configure(LoggingConfig(synchronous=True), sinks=[], registry=metrics_registry)


class TestReset:
    def test_reset__restores_root_logger_and_structlog(self, metrics_registry):
        root = logging.getLogger()
        previous_handlers, previous_level = list(root.handlers), root.level
        previous_processors = structlog.get_config()["processors"]
        logging_lib.configure(
            LoggingConfig(synchronous=True), sinks=[MemorySink()], registry=metrics_registry
        )
        assert root.handlers != previous_handlers

        logging_lib.reset()

        assert root.handlers == previous_handlers
        assert root.level == previous_level
        assert structlog.get_config()["processors"] is previous_processors
        assert logging_lib.active_runtime() is None
        assert metrics_registry.get_sample_value("log_events_total", {"level": "info"}) is None

    def test_reset__without_configure_does_nothing(self):
        logging_lib.reset()
        assert logging_lib.active_runtime() is None

    def test_reset__delivers_what_the_async_dispatcher_accepted(self, metrics_registry):
        sink = MemorySink()
        logging_lib.configure(LoggingConfig(), sinks=[sink], registry=metrics_registry)
        for i in range(100):
            logging_lib.get_logger().info("queued", i=i)
        logging_lib.reset()
        assert [e["i"] for e in sink.events()] == list(range(100))


class TestBuiltInSinks:
    def test_configure__builds_the_sinks_named_in_config(self, tmp_path, metrics_registry):
        client = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(204)))
        config = LoggingConfig(
            sinks=("stdout", "stderr", "file", "http", "memory"),
            file_path=tmp_path / "app.log",
            http_url="https://collector.example/ingest",
            synchronous=True,
        )
        runtime = logging_lib.configure(config, registry=metrics_registry, http_client=client)
        kinds = [type(sink) for sink in runtime.dispatcher.sinks]
        assert kinds == [StreamSink, StreamSink, RotatingFileSink, HttpSink, MemorySink]
        assert [sink.name for sink in runtime.dispatcher.sinks][:2] == ["stdout", "stderr"]
        logging_lib.reset()
        assert not client.is_closed  # injected: the caller owns it

    def test_configure__creates_and_closes_its_own_http_client(self, metrics_registry):
        config = LoggingConfig(
            sinks=("http",), http_url="http://collector.example/", synchronous=True
        )
        runtime = logging_lib.configure(config, registry=metrics_registry)
        (sink,) = runtime.dispatcher.sinks
        client = sink._client
        logging_lib.reset()
        assert client.is_closed


class TestLoggerObjects:
    def test_get_logger__without_name_has_no_logger_key(self, logging_setup):
        logging_lib.get_logger().info("anonymous")
        assert "logger" not in assert_event(logging_setup.events(), event="anonymous")

    def test_dispatching_logger__every_level_method_submits(self, logging_setup):
        log = logging_lib.get_logger("levels")
        log.debug("d")
        log.critical("c")
        log.log(logging.WARNING, "w")
        assert [e["level"] for e in logging_setup.events()] == ["debug", "critical", "warning"]

    def test_stdlib_handler__a_broken_record_is_reported_not_raised(self, logging_setup, capsys):
        record = logging.makeLogRecord({"msg": "%d items", "args": ("not a number",)})
        logging_setup.runtime.stdlib_handler.handle(record)
        assert logging_setup.sink.lines == []
        assert "Logging error" in capsys.readouterr().err

    def test_stdlib_handler__routes_a_non_propagating_logger(self, logging_setup):
        gunicorn = logging.getLogger("gunicorn.error.test")
        gunicorn.propagate = False
        gunicorn.addHandler(logging_setup.runtime.stdlib_handler)
        try:
            gunicorn.warning("worker booted")
        finally:
            gunicorn.removeHandler(logging_setup.runtime.stdlib_handler)
            gunicorn.propagate = True
        assert_event(logging_setup.events(), event="worker booted", logger="gunicorn.error.test")

    def test_close_at_exit__delivers_queued_events(self, metrics_registry):
        from logging_lib.runtime import _close_at_exit

        sink = MemorySink()
        runtime = logging_lib.configure(LoggingConfig(), sinks=[sink], registry=metrics_registry)
        logging_lib.get_logger().info("late")
        _close_at_exit()
        assert runtime.dispatcher.closed
        assert [e["event"] for e in sink.events()] == ["late"]
        logging_lib.reset()
        _close_at_exit()  # nothing configured: nothing to do
        assert logging_lib.active_runtime() is None


def test_stream_sink__used_for_stdout_writes_lines(metrics_registry):
    stream = io.StringIO()
    logging_lib.configure(
        LoggingConfig(synchronous=True), sinks=[StreamSink(stream)], registry=metrics_registry
    )
    logging_lib.get_logger().info("streamed")
    assert stream.getvalue().count("\n") == 1
    assert sys.stdout is not stream
