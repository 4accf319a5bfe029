"""The real service stack of the integration layer, and the means to drive it.

``Stack`` starts a ``redis-server``, the token service and the API, each
under gunicorn with two workers on a free 127.0.0.1 port, from generated
config files and key files (mode 600). Nothing inside a process is patched:
the services are configured exactly as in production, through their TOML file
and ``API_*`` / ``LOG_*`` environment variables. The benchmark in
``benchmarks/load_api.py`` builds the same stack.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx

from tests.integration.credentials import (
    BasicCredentials,
    ClientCredentials,
    SigningKeys,
    render_auth_config,
)
from tests.utils.healthcheck import ServiceNotReady, wait_until_ready
from tests.utils.processes import ManagedProcess, MissingExecutable, ProcessGroup, free_port
from tests.utils.redis_server import RedisServer

REPO_ROOT = Path(__file__).resolve().parents[2]
GUNICORN_CONFIG = Path(__file__).with_name("gunicorn_conf.py")
LOOPBACK = "127.0.0.1"
API_AUDIENCE = "projects-api"
GUNICORN_HINT = (
    "gunicorn is not installed for {python}: install the project's dependencies"
    " (`pip install -e .`, or `pip install gunicorn`)"
)
#: Environment variables of the parent that must not leak into a service.
_SERVICE_PREFIXES = ("API_", "AUTH_SERVICE_", "LOG_", "REDIS_URL")
_LOG_ENV = {
    "LOG_FORMAT": "json",
    "LOG_SINKS": "stdout",
    "LOG_LEVEL": "INFO",
    # Each line is written before the response is sent, so a test reading the
    # log after the response finds it there.
    "LOG_SYNCHRONOUS": "true",
}
T = TypeVar("T")
#: The API's minimum gap between two JWKS fetches in the stack (seconds).
JWKS_REFETCH_COOLDOWN = 1.0


def gunicorn_command() -> list[str]:
    """``python -m gunicorn`` for this interpreter; fail with what to install if absent."""
    if importlib.util.find_spec("gunicorn") is None:
        raise MissingExecutable(GUNICORN_HINT.format(python=sys.executable))
    return [sys.executable, "-m", "gunicorn"]


def wait_for(check: Callable[[], T | None], *, timeout: float, what: str) -> T:
    """Poll ``check`` (every 50 ms) until it returns a value other than None or False."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result is not None and result is not False:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.05)  # another process's state: nothing to join on


def read_json_lines(path: Path) -> list[dict[str, Any]]:
    """Every line of ``path`` that is a JSON object (gunicorn's own lines are skipped)."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return []
    events = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                events.append(value)
    return events


def child_pids(parent: int) -> set[int]:
    """Pids of the live children of ``parent`` (gunicorn's workers of a master)."""
    children = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the parenthesised command: state, ppid, ...
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == parent and fields[0] != "Z":
            children.add(int(entry.name))
    return children


@dataclass
class Service:
    """One service under gunicorn: its URL, process and log files."""

    name: str
    port: int
    process: ManagedProcess
    access_log: Path
    metrics_port: int

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def metrics_url(self) -> str:
        """The private metrics listener of the gunicorn master (every worker's figures)."""
        return f"http://{LOOPBACK}:{self.metrics_port}/metrics"

    def events(self) -> list[dict[str, Any]]:
        """The JSON log events the service wrote to stdout so far."""
        return read_json_lines(self.process.log_path)

    def access_entries(self) -> list[dict[str, Any]]:
        """gunicorn's access-log entries so far, with ``pid`` as an int."""
        entries = read_json_lines(self.access_log)
        for entry in entries:
            entry["pid"] = int(str(entry["pid"]).strip("<>"))
        return entries

    def served_by(self, request_id: str, *, timeout: float = 5.0) -> int:
        """The pid of the worker that answered the request with this id."""

        def find() -> int | None:
            pids = [e["pid"] for e in self.access_entries() if e["request_id"] == request_id]
            return pids[0] if pids else None

        return wait_for(find, timeout=timeout, what=f"{self.name} access entry {request_id}")

    def worker_pids(self) -> set[int]:
        return child_pids(self.process.pid)

    def reload(self) -> None:
        """SIGHUP to the master only: new workers with the re-read config, old ones retire."""
        os.kill(self.process.pid, signal.SIGHUP)

    def wait_ready(self, timeout: float = 30.0) -> None:
        try:
            wait_until_ready(self.base_url, timeout=timeout, is_alive=self.process.is_alive)
        except ServiceNotReady as exc:
            log = self.process.log_text()
            raise ServiceNotReady(f"{exc}\n--- {self.name} log ---\n{log}") from None


def server_coverage_env() -> dict[str, str]:
    """Environment that makes a service process measure itself, when this one is measured.

    coverage.py's ``.pth`` hook starts coverage in any Python process that finds
    ``COVERAGE_PROCESS_START`` naming a config file; ``patch = fork`` in that file
    restarts it in each forked gunicorn worker. The context (the layer) and the
    data file come from ``COVERAGE_LAYER`` and ``COVERAGE_FILE``, inherited from
    the layer's environment, so the servers' data combine with the test
    process's. Unmeasured runs (a benchmark, production) set nothing.
    """
    import coverage

    current = coverage.Coverage.current()
    if current is None:
        return {}
    rcfile = current.config.config_file
    return {"COVERAGE_PROCESS_START": str(rcfile)} if rcfile else {}


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SERVICE_PREFIXES)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("COVERAGE_PROCESS_START", None)
    env.update(server_coverage_env())
    return env


@dataclass
class Stack:
    """Redis, the token service and the API, started and stopped together."""

    workdir: Path
    client_ids: Sequence[str]
    rate_limit: str = "300/minute"
    basic_client_ids: Sequence[str] = ()
    processes: ProcessGroup = field(default_factory=ProcessGroup)
    redis: RedisServer | None = None
    auth: Service | None = None
    api: Service | None = None
    clients: dict[str, ClientCredentials] = field(default_factory=dict)
    basic_clients: dict[str, BasicCredentials] = field(default_factory=dict)
    signing_keys: SigningKeys | None = None

    @property
    def auth_config_path(self) -> Path:
        return self.workdir / "auth" / "auth.toml"

    @property
    def token_endpoint(self) -> str:
        if self.auth is None:
            raise RuntimeError("the stack is not started")
        return f"{self.auth.base_url}/oauth/token"

    def request_token(
        self, http: httpx.Client, client_id: str, request_id: str | None = None
    ) -> httpx.Response:
        """Ask the token service for a token with a fresh ``private_key_jwt`` assertion,
        under ``request_id`` (``X-Request-ID``) when given."""
        client = self.clients[client_id]
        form = client.token_form(client.assertion(self.token_endpoint))
        headers = {"X-Request-ID": request_id} if request_id else {}
        return http.post(self.token_endpoint, data=form, headers=headers)

    def start(self) -> Stack:
        """Start everything or, if any part fails, stop what was started and re-raise."""
        command = gunicorn_command()  # fail before starting anything
        try:
            self.redis = RedisServer(self.workdir / "redis").start()
            self.auth = self._start_auth(command)
            self.auth.wait_ready()
            self.api = self._start_api(command)
            self.api.wait_ready()
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        try:
            self.processes.close(grace=10)
        finally:
            if self.redis is not None:
                self.redis.stop()

    # -- the token service ----------------------------------------------------

    def _start_auth(self, command: list[str]) -> Service:
        directory = self.workdir / "auth"
        directory.mkdir(parents=True, exist_ok=True)
        self.signing_keys = SigningKeys.create(directory / "keys")
        # A tenant per client: no scenario sees another one's projects.
        self.clients = {
            client_id: ClientCredentials.generate(client_id, tenant=f"tenant-{client_id}")
            for client_id in self.client_ids
        }
        self.basic_clients = {
            client_id: BasicCredentials.generate(client_id, tenant=f"tenant-{client_id}")
            for client_id in self.basic_client_ids
        }
        port = free_port()
        self._write_auth_config(port)
        env = {**_base_env(), **_LOG_ENV, "AUTH_SERVICE_CONFIG": str(self.auth_config_path)}
        return self._start_service("auth", port, "apps.auth_service.app:create_app()", env, command)

    def _write_auth_config(self, port: int) -> None:
        if self.signing_keys is None or self.redis is None:
            raise RuntimeError("signing keys and redis come first")
        issuer = f"http://{LOOPBACK}:{port}"
        text = render_auth_config(
            issuer=issuer,
            token_endpoint=f"{issuer}/oauth/token",
            audience=API_AUDIENCE,
            redis_url=self.redis.url,
            keys=self.signing_keys,
            clients=self.clients.values(),
            basic_clients=self.basic_clients.values(),
        )
        temporary = self.auth_config_path.with_suffix(".tmp")
        temporary.write_text(text)
        temporary.replace(self.auth_config_path)  # a reloading worker never reads half a file

    def rotate_signing_key(self, *, announced: bool = True, timeout: float = 20.0) -> str:
        """Sign with a new key (the old one retired now) and reload the token service.

        ``announced``: the upcoming, already published key becomes active;
        otherwise a key no JWKS has shown yet (see ``SigningKeys.rotate``).
        Returns the new active kid once every auth worker was replaced.
        """
        if self.auth is None or self.signing_keys is None:
            raise RuntimeError("the stack is not started")
        old_workers = self.auth.worker_pids()
        self.signing_keys.rotate(datetime.now(UTC), announced=announced)
        self._write_auth_config(self.auth.port)
        self.auth.reload()
        auth = self.auth
        wait_for(
            lambda: len(auth.worker_pids()) == 2 and not (auth.worker_pids() & old_workers),
            timeout=timeout,
            what="the token service's workers to be replaced",
        )
        auth.wait_ready(timeout)
        return self.signing_keys.active_kid

    # -- the API ------------------------------------------------------------

    def start_api(self, name: str, *, rate_limit: str) -> Service:
        """Another API on the same token service and Redis, with its own limit and database."""
        service = self._start_api(gunicorn_command(), name=name, rate_limit=rate_limit)
        service.wait_ready()
        return service

    def _start_api(
        self, command: list[str], *, name: str = "api", rate_limit: str | None = None
    ) -> Service:
        if self.auth is None or self.redis is None:
            raise RuntimeError("the token service and redis come first")
        directory = self.workdir / name
        directory.mkdir(parents=True, exist_ok=True)
        env = {
            **_base_env(),
            **_LOG_ENV,
            "API_JWKS_URL": f"{self.auth.base_url}/.well-known/jwks.json",
            "API_ISSUER": self.auth.base_url,
            "API_AUDIENCE": API_AUDIENCE,
            "API_DATABASE_PATH": str(directory / "api.sqlite3"),
            "API_RATE_LIMIT": rate_limit or self.rate_limit,
            "API_RATE_LIMIT_STORAGE_URL": self.redis.url,
            # Short, so an unannounced key is fetched within a test's bounded
            # wait; the cool-down itself is unit-tested in the api layer.
            "API_JWKS_REFETCH_COOLDOWN_SECONDS": str(JWKS_REFETCH_COOLDOWN),
        }
        return self._start_service(name, free_port(), "apps.api.app:create_app()", env, command)

    def _start_service(
        self, name: str, port: int, app: str, env: dict[str, str], command: list[str]
    ) -> Service:
        logs = self.workdir / "logs"
        access_log = logs / f"{name}.access.log"
        metrics_port = free_port()
        env = {
            **env,
            # The metrics listener of the gunicorn hooks (apps/kernel/gunicorn.py).
            "METRICS_BIND": f"{LOOPBACK}:{metrics_port}",
            "PROMETHEUS_MULTIPROC_DIR": str(self.workdir / name / "metrics"),
        }
        argv = [
            *command,
            "--config",
            str(GUNICORN_CONFIG),
            "--bind",
            f"{LOOPBACK}:{port}",
            "--access-logfile",
            str(access_log),
            app,
        ]
        process = ManagedProcess(name, argv, logs / f"{name}.log", env=env, cwd=REPO_ROOT)
        self.processes.start(process)
        return Service(name, port, process, access_log, metrics_port)


class RedisOutage:
    """Stops the stack's Redis and brings it back on the same port."""

    def __init__(self, stack: Stack) -> None:
        self._stack = stack

    def begin(self) -> None:
        if self._stack.redis is None:
            raise RuntimeError("the stack is not started")
        self._stack.redis.stop()

    def end(self) -> None:
        """Restart Redis if it is down and wait until the token service is ready again."""
        redis, auth = self._stack.redis, self._stack.auth
        if redis is None or auth is None:
            raise RuntimeError("the stack is not started")
        if redis.process is None:
            redis.start()
        auth.wait_ready(timeout=15)
