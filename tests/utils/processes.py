"""Start, watch and stop real processes for the integration layer.

Every process gets a log file, a free port on 127.0.0.1 and a bounded stop:
SIGTERM to its whole process group, then SIGKILL if it outlives the grace
period. ``ProcessGroup`` stops everything it started, in reverse order, even
when a test or a later start-up fails, so no process outlives the session.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


class MissingExecutable(RuntimeError):
    """A program the integration layer needs is not installed."""


def require_executable(name: str, install_hint: str) -> str:
    """Return the path of ``name`` or fail with what to install."""
    path = shutil.which(name)
    if path is None:
        raise MissingExecutable(f"{name} not found on PATH: {install_hint}")
    return path


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class ManagedProcess:
    """One child process with its log file."""

    name: str
    argv: Sequence[str]
    log_path: Path
    env: Mapping[str, str] | None = None
    cwd: Path | None = None
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> ManagedProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(
                list(self.argv),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=dict(self.env) if self.env is not None else None,
                cwd=self.cwd,
                start_new_session=True,  # its own process group: workers stop with it
            )
        return self

    @property
    def pid(self) -> int:
        if self.popen is None:
            raise RuntimeError(f"{self.name} was not started")
        return self.popen.pid

    def is_alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def log_text(self, tail: int = 4000) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return text[-tail:]

    def signal(self, signum: int) -> None:
        """Send ``signum`` to the process group (the master and its workers)."""
        if self.is_alive():
            os.killpg(self.pid, signum)

    def stop(self, grace: float = 10.0) -> int | None:
        """SIGTERM the group, wait up to ``grace`` seconds, then SIGKILL it."""
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=grace)
            except ProcessLookupError:  # pragma: no cover - exited in between
                pass
        self._reap_group()
        return self.popen.returncode

    def _reap_group(self) -> None:
        # Workers that ignored the master's shutdown still share its group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)


@dataclass
class ProcessGroup:
    """The processes a fixture started; ``close`` stops all of them."""

    processes: list[ManagedProcess] = field(default_factory=list)

    def start(self, process: ManagedProcess) -> ManagedProcess:
        self.processes.append(process)
        return process.start()

    def close(self, grace: float = 10.0) -> None:
        while self.processes:
            self.processes.pop().stop(grace)
