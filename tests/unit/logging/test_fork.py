import json
import os
import signal
import warnings

import structlog

import logging_lib
from logging_lib import LoggingConfig, RotatingFileSink
from tests.unit.logging.fakes import ForkCountingSink, LockHoldingSink


def _fork():
    # The dispatcher's worker thread is alive in this process on purpose (the
    # test is about replacing it in the child). Python 3.12+ warns about
    # fork() in a multi-threaded process; that warning is expected here.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r".*multi-threaded.*fork\(\)", category=DeprecationWarning
        )
        return os.fork()


def _child_main(runtime):
    """Runs in the forked child only; never returns."""
    code = 3
    try:
        signal.alarm(20)  # a hung child must not hang the suite
        structlog.get_logger("child").info("child.event", pid=os.getpid())
        code = 0 if runtime.flush(timeout=10) else 1
    finally:
        os._exit(code)


def test_forked_child__logs_through_a_fresh_worker(tmp_path, metrics_registry):
    path = tmp_path / "forked.log"
    sink = RotatingFileSink(path, max_bytes=1_000_000, backup_count=1)
    runtime = logging_lib.configure(
        LoggingConfig(sinks=()), sinks=[sink], registry=metrics_registry
    )
    log = structlog.get_logger("parent")
    log.info("parent.before_fork")
    assert runtime.flush(timeout=10)  # the worker thread is running now

    pid = _fork()
    if pid == 0:
        _child_main(runtime)
    _, status = os.waitpid(pid, 0)
    log.info("parent.after_fork")
    assert runtime.flush(timeout=10)

    assert os.WIFEXITED(status)
    assert os.WEXITSTATUS(status) == 0
    events = [json.loads(line) for line in path.read_text().splitlines()]
    assert [e["event"] for e in events] == [
        "parent.before_fork",
        "child.event",
        "parent.after_fork",
    ]
    assert events[1]["pid"] == pid


def test_forked_child__logs_although_the_parent_worker_held_a_sink_lock(make_dispatcher):
    """The sink's after_fork() replaces the lock the parent's worker held at fork time."""
    sink = LockHoldingSink()
    dispatcher = make_dispatcher([sink])
    dispatcher.submit("first")
    assert sink.entered.wait(timeout=10)  # the parent's worker holds the sink's lock now
    dispatcher.submit("queued in the parent")

    pid = _fork()
    if pid == 0:
        code = 3
        try:
            signal.alarm(20)
            delivered = dispatcher.submit("child") and dispatcher.flush(timeout=5)
            code = 0 if delivered and sink.lines == ["child"] else 1
        finally:
            os._exit(code)
    sink.open()
    _, status = os.waitpid(pid, 0)

    assert os.waitstatus_to_exitcode(status) == 0
    assert dispatcher.flush(timeout=10)
    assert sink.lines == ["first", "queued in the parent"]


def test_forked_child__resets_each_dispatcher_once(make_dispatcher):
    """However many dispatchers a process built, a child resets each one once."""
    sinks = [ForkCountingSink(name="a"), ForkCountingSink(name="b")]
    dispatchers = [make_dispatcher([sink]) for sink in sinks]

    pid = _fork()
    if pid == 0:
        code = 3
        try:
            signal.alarm(20)
            delivered = all(d.submit("child") and d.flush(timeout=5) for d in dispatchers)
            once = [sink.after_forks for sink in sinks] == [1, 1]
            code = 0 if delivered and once else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)

    assert os.waitstatus_to_exitcode(status) == 0
    assert [sink.after_forks for sink in sinks] == [0, 0]  # the parent is not reset
