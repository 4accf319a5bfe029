"""Flask integration: request ids, request-scoped context and one access event per request.

``init_app(app)`` works whether or not :func:`logging_lib.configure` was called;
without it, events go through structlog's defaults.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import flask
import structlog

REQUEST_ID_HEADER = "X-Request-ID"
ACCESS_EVENT = "http.request"

# Printable token characters only, bounded length: the id is echoed in a
# response header and written to every log line, so anything else is replaced.
_WELL_FORMED_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}")
_EXTENSION = "logging_lib"


def is_well_formed_request_id(value: str) -> bool:
    """Tell whether an incoming request id may be reused as is (1-128 token characters)."""
    return _WELL_FORMED_ID.fullmatch(value) is not None


def generate_request_id() -> str:
    """A fresh random request id (32 hex characters)."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class _State:
    new_request_id: Callable[[], str]
    clock: Callable[[], float]
    logger_name: str


@dataclass
class _RequestInfo:
    request_id: str
    started: float
    logged: bool = False


def init_app(
    app: flask.Flask,
    *,
    new_request_id: Callable[[], str] = generate_request_id,
    clock: Callable[[], float] = time.perf_counter,
    logger_name: str = "http",
) -> None:
    """Bind a request id for every request of *app* and log one access event per request.

    Per request: an incoming ``X-Request-ID`` is kept if well formed, otherwise a
    new one is generated; it is bound into structlog's context variables as
    ``request_id`` and echoed on the response. On completion one event
    ``http.request`` is logged with ``method``, ``route``, ``status`` and
    ``duration_ms`` (level ``error`` for 5xx, ``info`` otherwise), and all
    context variables are cleared - including ones the view bound, such as
    ``tenant_id`` and ``client_id``.

    Args:
        app: the application to instrument.
        new_request_id: makes an id when the request brings no usable one.
        clock: monotonic seconds, used for ``duration_ms``.
        logger_name: name of the logger the access events are emitted on.
    """
    app.extensions[_EXTENSION] = _State(new_request_id, clock, logger_name)
    app.before_request(_before_request)
    app.after_request(_finish_request)
    app.teardown_request(_teardown_request)


def _before_request() -> None:
    _start_request()


def _state() -> _State:
    state: _State = flask.current_app.extensions[_EXTENSION]
    return state


def _start_request() -> _RequestInfo:
    state = _state()
    incoming = flask.request.headers.get(REQUEST_ID_HEADER, "")
    request_id = incoming if is_well_formed_request_id(incoming) else state.new_request_id()
    info = _RequestInfo(request_id, state.clock())
    flask.g.logging_lib_request = info
    # Bound, not reset: a hook registered before init_app may already have
    # bound values (a tenant) for this request. Teardown clears everything.
    structlog.contextvars.bind_contextvars(request_id=request_id)
    return info


def _finish_request(response: flask.Response) -> flask.Response:
    info: _RequestInfo | None = flask.g.get("logging_lib_request")
    if info is None:
        # A before_request hook registered ahead of ours answered the request,
        # so ours never ran: the response still gets an id and an access event.
        info = _start_request()
    response.headers[REQUEST_ID_HEADER] = info.request_id
    _log_access(info, response.status_code)
    return response


def _teardown_request(exc: BaseException | None) -> None:
    info: _RequestInfo | None = flask.g.get("logging_lib_request")
    # An exception that propagated out of Flask (PROPAGATE_EXCEPTIONS, as in
    # testing) skips after_request; the request still deserves its access event.
    if info is not None and not info.logged:
        _log_access(info, 500)
    structlog.contextvars.clear_contextvars()


def _log_access(info: _RequestInfo, status: int) -> None:
    state = _state()
    info.logged = True
    rule = flask.request.url_rule
    duration_ms = round((state.clock() - info.started) * 1000.0, 3)
    logger = structlog.get_logger(state.logger_name)
    log = logger.error if status >= 500 else logger.info
    log(
        ACCESS_EVENT,
        method=flask.request.method,
        route=rule.rule if rule is not None else None,
        status=status,
        duration_ms=duration_ms,
    )
