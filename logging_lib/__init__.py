"""Structured logging for the services: structlog pipeline, sinks, dispatcher, metrics.

Nothing happens at import. In an app factory::

    runtime = logging_lib.configure(LoggingConfig.from_environ(os.environ), registry=registry)
    logging_lib.flask.init_app(app)                       # request ids, access events

then log with :func:`get_logger` (or ``structlog.get_logger``) and bind
request-scoped values with ``structlog.contextvars.bind_contextvars``. stdlib
loggers (werkzeug, gunicorn, libraries) go through the same pipeline. Every
event is redacted before it is rendered; sinks only receive rendered lines.
The metrics (``log_*``) go to ``registry``; serving them is the host's business
(the services serve every worker's figures on a private listener). Tests use
:mod:`logging_lib.testing`.
"""

from logging_lib.config import LoggingConfig, LoggingConfigError
from logging_lib.dispatcher import Dispatcher
from logging_lib.http_sink import HttpSink, HttpSinkError
from logging_lib.metrics import LoggingMetrics
from logging_lib.redaction import CYCLE, REDACTED, Redactor
from logging_lib.runtime import LoggingRuntime, active_runtime, configure, get_logger, reset
from logging_lib.sinks import MemorySink, RotatingFileSink, Sink, StreamSink

__all__ = [
    "CYCLE",
    "REDACTED",
    "Dispatcher",
    "HttpSink",
    "HttpSinkError",
    "LoggingConfig",
    "LoggingConfigError",
    "LoggingMetrics",
    "LoggingRuntime",
    "MemorySink",
    "Redactor",
    "RotatingFileSink",
    "Sink",
    "StreamSink",
    "active_runtime",
    "configure",
    "get_logger",
    "reset",
]
