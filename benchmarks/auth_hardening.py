"""Measure the token service's hardening: timing by client existence, throttle, argon2 cost.

    python benchmarks/auth_hardening.py timing   [--samples 40]
    python benchmarks/auth_hardening.py throttle [--seconds 65]
    python benchmarks/auth_hardening.py argon2   [--runs 5]

Every figure comes from whole processes: the token service runs under
gunicorn with its shipped configuration (apps/auth_service/gunicorn_conf.py,
2 sync workers), a real redis-server, production argon2id costs (t=3,
64 MiB, p=4) and the configuration's defaults unless said otherwise; the
client is httpx on the same machine (2 cores shared), so times include the
loopback round trip.

* timing: client_secret_basic with a wrong secret for a registered client,
  for an unknown client id and for a client of the other method, interleaved
  (one of each per round, fresh connection each), median and spread of each.
  The throttle is raised out of the way for this run only.
* throttle: for --seconds, one loop sends wrong secrets for one client id
  from 127.0.0.1 (the per-client budget binds), another sends a new unknown
  id per attempt from 127.0.0.2 (the per-address budget binds); attempts
  admitted (answered 401 after an argon2id check) versus refused (429 before
  any), per second.
* argon2: time and peak memory of one argon2id verification at production
  costs, each in a fresh process (median of --runs), beside a process that
  only imports argon2.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from apps.auth_service.passwords import hash_secret
from apps.auth_service.settings import Argon2Settings
from tests.integration.credentials import ClientCredentials, write_signing_key
from tests.utils.healthcheck import wait_until_ready
from tests.utils.processes import ManagedProcess, free_port
from tests.utils.redis_server import RedisServer

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = Argon2Settings()
SECRET = "a-correct-and-long-enough-client-secret"  # noqa: S105 - a benchmark fixture


def start_service(workdir: Path, throttle: dict[str, str]) -> tuple[str, list[ManagedProcess]]:
    redis = RedisServer(workdir / "redis").start()
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    write_signing_key(workdir / "signing.pem")
    jwt_client = ClientCredentials.generate("bench-jwt", "bench")
    lines = [
        f'issuer = "{issuer}"',
        f'token_endpoint = "{issuer}/oauth/token"',
        'access_token_audience = "bench-api"',
        f'replay_cache_url = "{redis.url}"',
        '[keys]\nactive = "signing.pem"',
        "[throttle]",
        *(f'{name} = "{value}"' for name, value in throttle.items()),
        "[[clients]]",
        'client_id = "bench-basic"\ntenant = "bench"\nallowed_scopes = ["read"]',
        f'auth_method = "client_secret_basic"\nsecret_hash = "{hash_secret(SECRET, PRODUCTION)}"',
        "[[clients]]",
        'client_id = "bench-jwt"\ntenant = "bench"\nallowed_scopes = ["read"]',
        f'auth_method = "private_key_jwt"\npublic_key_pem = {json.dumps(jwt_client.public_pem())}',
    ]
    (workdir / "auth.toml").write_text("\n".join(lines) + "\n")
    env = {
        **os.environ,
        "AUTH_SERVICE_CONFIG": str(workdir / "auth.toml"),
        "PYTHONPATH": str(ROOT),
        "METRICS_BIND": f"127.0.0.1:{free_port()}",
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics"),
        "LOG_LEVEL": "ERROR",
    }
    config = str(ROOT / "apps/auth_service/gunicorn_conf.py")
    argv = [sys.executable, "-m", "gunicorn", "-c", config,
            "-b", f"127.0.0.1:{port}", "apps.auth_service.app:create_app()"]  # fmt: skip
    process = ManagedProcess("auth", argv, workdir / "auth.log", env=env, cwd=ROOT).start()
    wait_until_ready(issuer, timeout=30, is_alive=process.is_alive)
    return issuer, [process, redis.process]  # type: ignore[list-item]


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def post(
    endpoint: str, headers: dict[str, str], local_address: str = "127.0.0.1"
) -> tuple[int, float]:
    transport = httpx.HTTPTransport(local_address=local_address)
    with httpx.Client(transport=transport, timeout=30) as http:
        start = time.perf_counter()
        response = http.post(endpoint, data={"grant_type": "client_credentials"}, headers=headers)
        return response.status_code, time.perf_counter() - start


def timing(samples: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        issuer, processes = start_service(
            Path(tmp),
            {"failures_per_client": "100000/minute", "failures_per_address": "100000/minute"},
        )
        try:
            endpoint = f"{issuer}/oauth/token"
            cases = {
                "registered client, wrong secret": basic("bench-basic", "wrong"),
                "unknown client id": basic("bench-nobody", "wrong"),
                "private_key_jwt client via Basic": basic("bench-jwt", "wrong"),
            }
            for headers in cases.values():  # warm both workers
                post(endpoint, headers)
                post(endpoint, headers)
            times: dict[str, list[float]] = {name: [] for name in cases}
            for _ in range(samples):
                for name, headers in cases.items():
                    status, seconds = post(endpoint, headers)
                    if status != 401:
                        raise RuntimeError(f"{name}: expected 401, got {status}")
                    times[name].append(seconds * 1000)
        finally:
            for process in processes:
                process.stop()
    print(f"client_secret_basic failures, production argon2id, {samples} each, interleaved")
    print(f"  {'case':<34} {'median':>8} {'p10':>8} {'p90':>8} {'min':>8} {'max':>8}  (ms)")
    for name, values in times.items():
        deciles = statistics.quantiles(values, n=10)
        print(f"  {name:<34} {statistics.median(values):8.1f} {deciles[0]:8.1f} {deciles[-1]:8.1f}"
              f" {min(values):8.1f} {max(values):8.1f}")  # fmt: skip
    known, unknown = times["registered client, wrong secret"], times["unknown client id"]
    print(f"  median difference (registered - unknown): "
          f"{statistics.median(known) - statistics.median(unknown):+.1f} ms")  # fmt: skip


def throttle(seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        defaults = {"failures_per_client": "10/minute", "failures_per_address": "30/minute"}
        issuer, processes = start_service(Path(tmp), defaults)
        endpoint = f"{issuer}/oauth/token"
        results: dict[str, Counter[int]] = {"one client id": Counter(), "one address": Counter()}
        deadline = time.monotonic() + seconds

        def flood_client() -> None:
            while time.monotonic() < deadline:
                results["one client id"][post(endpoint, basic("bench-basic", "wrong"))[0]] += 1

        def flood_address() -> None:
            n = 0
            while time.monotonic() < deadline:
                n += 1
                status, _ = post(endpoint, basic(f"guess-{n}", "x"), local_address="127.0.0.2")
                results["one address"][status] += 1

        try:
            threads = [
                threading.Thread(target=flood_client),
                threading.Thread(target=flood_address),
            ]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
        finally:
            for process in processes:
                process.stop()
    print(f"throttle defaults ({defaults}), {elapsed:.1f} s flood, 2 gunicorn workers, Redis")
    heads = f"{'sent':>6} {'admitted':>9} {'refused':>8} {'admitted/s':>11} {'sent/s':>8}"
    print(f"  {'flood':<16} {heads}")
    for name, statuses in results.items():
        sent = sum(statuses.values())
        admitted, refused = statuses[401], statuses[429]
        other = sent - admitted - refused
        rates = f"{admitted / elapsed:11.3f} {sent / elapsed:8.1f}"
        extra = f"  other: {dict(statuses)}" if other else ""
        print(f"  {name:<16} {sent:6d} {admitted:9d} {refused:8d} {rates}{extra}")


# Peak RSS from VmHWM: unlike ru_maxrss, it starts afresh at exec, so the
# parent's size does not leak into the child's figure.
_VERIFY_ONCE = """
import sys, time
import argon2
def peak_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
hasher = argon2.PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4)
before = peak_kib()
start = time.perf_counter()
if sys.argv[2] == "verify":
    try:
        hasher.verify(sys.argv[1], "wrong")
    except argon2.exceptions.VerifyMismatchError:
        pass
elapsed = time.perf_counter() - start
print(elapsed * 1000, before, peak_kib())
"""


def argon2_cost(runs: int) -> None:
    stored = hash_secret(SECRET, PRODUCTION)
    rows: dict[str, list[tuple[float, int]]] = {"verify": [], "import only": []}
    for _ in range(runs):
        for mode in ("verify", "import only"):
            command = [sys.executable, "-c", _VERIFY_ONCE, stored, mode.split()[0]]
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout.split()
            rows[mode].append((float(out[0]), int(out[2])))
    print(f"argon2id at production costs (t=3, m=64 MiB, p=4), one per fresh process, {runs} runs")
    for mode, values in rows.items():
        ms = statistics.median(v[0] for v in values)
        rss = statistics.median(v[1] for v in values) / 1024
        print(f"  {mode:<12} time {ms:7.1f} ms (median)   peak RSS {rss:6.1f} MiB (median)")
    print(f"  this machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("timing").add_argument("--samples", type=int, default=40)
    sub.add_parser("throttle").add_argument("--seconds", type=float, default=65.0)
    sub.add_parser("argon2").add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    if args.command == "timing":
        timing(args.samples)
    elif args.command == "throttle":
        throttle(args.seconds)
    else:
        argon2_cost(args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
