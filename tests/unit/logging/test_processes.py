"""What only a fresh interpreter shows: exit without close(), and fork hooks installed once."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import logging_lib

TIMEOUT = 30


def run_python(script):
    """Run *script* in a new interpreter that imports this very logging_lib.

    It runs in the folder holding that logging_lib (a mutation-testing copy
    reads its settings from there) and writes nothing.
    """
    root = str(Path(logging_lib.__file__).resolve().parents[1])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
    }
    try:
        return subprocess.run(
            [sys.executable, "-c", textwrap.dedent(script)],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"the process was still running after {TIMEOUT} s", pytrace=False)


def test_process__exits_without_close_and_delivers_what_it_logged():
    """The worker is a daemon: exit does not wait for it; the exit hook delivers the queue."""
    done = run_python(
        """
        import structlog
        import logging_lib
        from logging_lib import LoggingConfig

        logging_lib.configure(LoggingConfig(sinks=("stdout",)))
        structlog.get_logger("exiting").info("last.words")
        """
    )
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()
    assert json.loads(line)["event"] == "last.words"


def test_process__a_forked_child_resets_each_dispatcher_once():
    done = run_python(
        """
        import json, os, signal, warnings
        from prometheus_client import CollectorRegistry
        from logging_lib import Dispatcher, LoggingMetrics, MemorySink

        class Counting(MemorySink):
            after_forks = 0

            def after_fork(self):
                super().after_fork()
                self.after_forks += 1

        sinks = [Counting(name="a"), Counting(name="b")]
        dispatchers = [Dispatcher([s], metrics=LoggingMetrics(CollectorRegistry())) for s in sinks]
        for dispatcher in dispatchers:
            dispatcher.submit("parent")
            if not dispatcher.flush(timeout=10):
                raise SystemExit("parent flush timed out")
        warnings.simplefilter("ignore", DeprecationWarning)  # fork() with a thread running
        pid = os.fork()
        if pid == 0:
            signal.alarm(20)
            delivered = [d.submit("child") and d.flush(timeout=5) for d in dispatchers]
            report = {
                "delivered": delivered,
                "after_forks": [s.after_forks for s in sinks],
                "lines": [s.lines for s in sinks],
            }
            print(json.dumps(report), flush=True)
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        raise SystemExit(os.waitstatus_to_exitcode(status))
        """
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "delivered": [True, True],
        "after_forks": [1, 1],
        "lines": [["parent", "child"], ["parent", "child"]],
    }
