"""No secret value from the redaction list reaches any sink, whatever path it takes."""

import io
import logging

import httpx
import pytest
import structlog

import logging_lib
from logging_lib import HttpSink, LoggingConfig, MemorySink, RotatingFileSink, StreamSink
from tests.utils.logging import assert_no_secret

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dGhlLXNpZ25hdHVyZQ"
SECRETS = {
    "authorization": "Bearer sekret-bearer-value",
    "cookie": "session=sekret-cookie",
    "set-cookie": "sid=sekret-set-cookie",
    "password": "sekret-password",
    "secret": "sekret-secret",
    "client_secret": "sekret-client-secret",
    "token": "sekret-token",
    "access_token": "sekret-access-token",
    "api_key": "sekret-api-key",
}
SECRET_VALUES = [*SECRETS.values(), "sekret-in-message", JWT]


def log_every_way():
    log = structlog.get_logger("leaky")
    structlog.contextvars.bind_contextvars(api_key="sekret-api-key")
    log.info("flat", **{key.replace("-", "_"): value for key, value in SECRETS.items()})
    log.info("nested", request={"headers": {k.title(): v for k, v in SECRETS.items()}})
    log.info("listed", attempts=[{"password": "sekret-password"}, ("token", {"token": JWT})])
    log.warning("got Authorization: Bearer sekret-in-message and " + JWT)
    logging.getLogger("stdlib").error("header %s", "Bearer sekret-in-message")
    logging.getLogger("stdlib").info("jwt %s", JWT, extra={"password": "sekret-password"})
    try:
        raise PermissionError(f"rejected token {JWT}")
    except PermissionError:
        log.exception("with traceback")
    structlog.contextvars.clear_contextvars()


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_no_secret_reaches_any_sink(tmp_path, metrics_registry, fmt):
    posted = []
    client = httpx.Client(
        transport=httpx.MockTransport(lambda r: posted.append(r.content) or httpx.Response(204))
    )
    stream, memory = io.StringIO(), MemorySink()
    file_sink = RotatingFileSink(tmp_path / "app.log", max_bytes=1 << 20, backup_count=1)
    sinks = [StreamSink(stream), file_sink, HttpSink(client, "https://c.example/"), memory]
    logging_lib.configure(
        LoggingConfig(format=fmt, level="DEBUG"), sinks=sinks, registry=metrics_registry
    )

    log_every_way()
    logging_lib.reset()  # closes the dispatcher: every accepted line is delivered
    client.close()

    outputs = {
        "stream": stream.getvalue(),
        "file": (tmp_path / "app.log").read_text(),
        "http": b"".join(posted).decode(),
        "memory": "".join(f"{line}\n" for line in memory.lines),
    }
    for name, output in outputs.items():
        assert output.count("\n") >= 7, name
        assert_no_secret(output, SECRET_VALUES)
        assert logging_lib.REDACTED in output
