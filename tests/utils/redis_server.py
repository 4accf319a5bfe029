"""A real ``redis-server`` on a random 127.0.0.1 port, for the integration layer.

No persistence (no RDB, no AOF), a private temporary directory, and a port
that stays the same across ``stop()``/``start()`` so services configured with
its URL reconnect when it comes back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from tests.utils.processes import ManagedProcess, free_port, require_executable

INSTALL_HINT = (
    "install it with `apt-get install redis-server` (Debian/Ubuntu) or `brew install redis`"
)


class RedisNotReady(AssertionError):
    """redis-server did not answer PING before the deadline."""


@dataclass
class RedisServer:
    workdir: Path
    port: int = field(default_factory=free_port)
    process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def argv(self) -> list[str]:
        return [
            require_executable("redis-server", INSTALL_HINT),
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--dir",
            str(self.workdir),
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "yes",
            "--daemonize",
            "no",
        ]

    def start(self, timeout: float = 10.0) -> RedisServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process = ManagedProcess(
            "redis-server", self.argv(), self.workdir / "redis.log"
        ).start()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1)
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    if client.ping():
                        return
                except redis.RedisError as exc:
                    last = f"{type(exc).__name__}: {exc}"
                if self.process is not None and not self.process.is_alive():
                    raise RedisNotReady(f"redis-server exited: {self.process.log_text()}")
                if time.monotonic() >= deadline:
                    raise RedisNotReady(f"redis-server on port {self.port} not ready: {last}")
                time.sleep(0.05)  # nothing to wait on but the port
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(grace=5)
            self.process = None

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)
