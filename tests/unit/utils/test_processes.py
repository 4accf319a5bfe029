import signal
import sys

import pytest

from tests.utils.healthcheck import wait_until_ready
from tests.utils.processes import (
    ManagedProcess,
    MissingExecutable,
    ProcessGroup,
    free_port,
    require_executable,
)

SERVE = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1"]
STUBBORN = [
    sys.executable,
    "-c",
    "import signal, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "print('ready', flush=True)\n"
    "time.sleep(60)\n",
]


def test_require_executable__names_what_to_install():
    assert require_executable("sh", "install a shell").endswith("sh")
    with pytest.raises(
        MissingExecutable, match="no-such-tool not found on PATH: apt-get install x"
    ):
        require_executable("no-such-tool", "apt-get install x")


def test_free_port__returns_a_bindable_port():
    port = free_port()
    assert 1024 <= port <= 65535


def test_managed_process__serves_and_stops_with_sigterm(tmp_path):
    port = free_port()
    process = ManagedProcess("http", [*SERVE, str(port)], tmp_path / "http.log", cwd=tmp_path)
    group = ProcessGroup()
    group.start(process)
    try:
        probe = wait_until_ready(
            f"http://127.0.0.1:{port}", path="/", timeout=10, is_alive=process.is_alive
        )
        assert probe.status == 200
    finally:
        group.close()
    assert not process.is_alive()
    assert process.popen.returncode == -signal.SIGTERM
    assert "GET / HTTP" in process.log_text()
    assert group.processes == []


def test_managed_process__kills_what_ignores_sigterm(tmp_path):
    process = ManagedProcess("stubborn", STUBBORN, tmp_path / "stubborn.log").start()
    wait_for_line(process, "ready")
    assert process.stop(grace=0.5) == -signal.SIGKILL
    assert not process.is_alive()


def test_managed_process__reports_unstarted_and_missing_log(tmp_path):
    process = ManagedProcess("never", ["true"], tmp_path / "none.log")
    assert process.stop() is None
    assert process.log_text() == ""
    assert not process.is_alive()
    with pytest.raises(RuntimeError, match="never was not started"):
        _ = process.pid


def wait_for_line(process, text, attempts=200):
    import time

    for _ in range(attempts):
        if text in process.log_text():
            return
        time.sleep(0.02)  # polling a child's log: no event to wait on
    raise AssertionError(f"{process.name} never printed {text!r}: {process.log_text()}")


def test_managed_process__signal_reaches_the_process(tmp_path):
    process = ManagedProcess(
        "sleeper", [sys.executable, "-c", "import time; time.sleep(60)"], tmp_path / "sleeper.log"
    ).start()
    process.signal(signal.SIGTERM)
    assert process.popen.wait(timeout=10) == -signal.SIGTERM
    process.signal(signal.SIGTERM)  # already gone: nothing to do
