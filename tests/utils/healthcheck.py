"""Assert that a service is healthy and ready.

Two targets, one vocabulary:

* a Flask test client: ``assert_healthy(client)`` checks ``/healthz`` and
  ``/readyz`` once (the app is in-process, there is nothing to wait for);
* a real process: ``wait_until_ready("http://127.0.0.1:8001", timeout=15)``
  polls ``/readyz`` until it answers 200 or the deadline passes, then fails
  with the last status, body or connection error, so a start-up problem reads
  as what it is instead of a bare time-out.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from flask.testing import FlaskClient

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"


class ServiceNotReady(AssertionError):
    """The service did not report ready before the deadline."""


@dataclass(frozen=True)
class Probe:
    """What one health or readiness request answered."""

    path: str
    status: int | None
    body: str
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    def describe(self) -> str:
        if self.error is not None:
            return f"{self.path}: {self.error}"
        body = self.body if len(self.body) <= 300 else self.body[:300] + "..."
        return f"{self.path}: HTTP {self.status} {body}"


def probe_client(client: FlaskClient, path: str) -> Probe:
    response = client.get(path)
    return Probe(path, response.status_code, response.get_data(as_text=True))


def probe_url(http: httpx.Client, base_url: str, path: str) -> Probe:
    try:
        response = http.get(base_url.rstrip("/") + path)
    except httpx.HTTPError as exc:
        return Probe(path, None, "", error=f"{type(exc).__name__}: {exc}")
    return Probe(path, response.status_code, response.text)


def assert_healthy(client: FlaskClient, *, ready: bool = True) -> None:
    """Fail unless the in-process app answers 200 on /healthz (and /readyz)."""
    paths = [HEALTH_PATH, READY_PATH] if ready else [HEALTH_PATH]
    failures = [p.describe() for p in (probe_client(client, path) for path in paths) if not p.ok]
    if failures:
        raise ServiceNotReady("service is not healthy: " + "; ".join(failures))


def wait_until_ready(
    base_url: str,
    *,
    timeout: float = 15.0,
    interval: float = 0.1,
    path: str = READY_PATH,
    http: httpx.Client | None = None,
    is_alive: Callable[[], bool] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Probe:
    """Poll ``base_url + path`` until it answers 200; return that probe.

    ``is_alive`` (e.g. ``lambda: proc.poll() is None``) stops the wait as soon
    as the process has exited, instead of waiting out the whole timeout.
    """
    if timeout <= 0 or interval <= 0:
        raise ValueError("timeout and interval must be positive")
    owned = http is None
    client = http or httpx.Client(timeout=min(2.0, timeout))
    deadline = clock() + timeout
    attempts = 0
    try:
        while True:
            attempts += 1
            last = probe_url(client, base_url, path)
            if last.ok:
                return last
            if is_alive is not None and not is_alive():
                raise ServiceNotReady(
                    f"{base_url} exited before it was ready (last probe: {last.describe()})"
                )
            if clock() >= deadline:
                raise ServiceNotReady(
                    f"{base_url} not ready after {timeout:g}s and {attempts} probe(s);"
                    f" last: {last.describe()}"
                )
            sleep(interval)
    finally:
        if owned:
            client.close()
