"""Bounded load run against the API under gunicorn (2 sync workers) with a real Redis.

Starts the integration stack (redis-server, the token service and the API,
each on a free 127.0.0.1 port), then:

1. **list**: authenticated ``GET /v1/projects?limit=20`` (20 projects seeded);
2. **create**: authenticated ``POST /v1/projects``;
3. **limiter accuracy**: a second API with a small limit (``--limit`` per
   minute) is hit by ``--concurrency`` threads with ``3 x limit`` requests of
   one client inside one window; every request must be counted exactly once
   across both workers, so exactly ``limit`` are admitted.

Each load phase stops after ``--requests`` requests or ``--seconds`` seconds,
whichever comes first; everything is stopped at the end. The load generator
shares the machine with the services, so the figures are a floor, not a
capacity.

    python benchmarks/load_api.py [--requests N] [--seconds S] [--concurrency C] [--limit L]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

# Run as a plain script from a checkout: make the repository importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.stack import Service, Stack

CLIENTS = ("bench-list", "bench-create", "bench-limit")
UNLIMITED = "1000000/minute"


@dataclass
class PhaseResult:
    """Latencies (seconds) and statuses of one load phase."""

    name: str
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    elapsed: float = 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    def line(self) -> str:
        count = len(self.latencies)
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items()))
        return (
            f"{self.name:<8} {count:>6} req in {self.elapsed:6.2f} s  "
            f"{count / self.elapsed:8.1f} req/s  p50 {self.percentile(0.5) * 1000:7.2f} ms  "
            f"p99 {self.percentile(0.99) * 1000:7.2f} ms  mean "
            f"{statistics.fmean(self.latencies) * 1000:7.2f} ms  [{statuses}]"
        )


Send = Callable[[httpx.Client, int], httpx.Response]


def run_phase(name: str, send: Send, *, requests: int, seconds: float, threads: int) -> PhaseResult:
    """Send up to ``requests`` requests from ``threads`` threads, for at most ``seconds``."""
    result = PhaseResult(name)
    lock = threading.Lock()
    counter = iter(range(requests))
    deadline = time.monotonic() + seconds

    def worker() -> None:
        with httpx.Client(timeout=10.0) as http:
            while time.monotonic() < deadline:
                with lock:
                    index = next(counter, None)
                if index is None:
                    return
                started = time.perf_counter()
                response = send(http, index)
                took = time.perf_counter() - started
                with lock:
                    result.latencies.append(took)
                    result.statuses[response.status_code] += 1

    pool = [threading.Thread(target=worker, name=f"{name}-{n}") for n in range(threads)]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=seconds + 30)
    result.elapsed = time.perf_counter() - started
    return result


def token_headers(stack: Stack, http: httpx.Client, client_id: str) -> dict[str, str]:
    response = stack.request_token(http, client_id)
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def limiter_accuracy(stack: Stack, api: Service, args: argparse.Namespace) -> list[str]:
    url = f"{api.base_url}/v1/projects"
    with httpx.Client(timeout=10.0) as http:
        headers = token_headers(stack, http, "bench-limit")
    run = uuid.uuid4().hex
    retry_after: list[int] = []

    def send(http: httpx.Client, index: int) -> httpx.Response:
        response = http.get(url, headers={**headers, "X-Request-ID": f"lim-{run}-{index}"})
        if response.status_code == 429:
            retry_after.append(int(response.headers.get("Retry-After", "0")))
        return response

    attempts = 3 * args.limit
    result = run_phase(
        "limited", send, requests=attempts, seconds=args.seconds, threads=args.concurrency
    )
    admitted = result.statuses[200]
    entries = [e for e in api.access_entries() if str(e["request_id"]).startswith(f"lim-{run}-")]
    per_worker = Counter(e["pid"] for e in entries if e["status"] == 200)
    sent = len(result.latencies)
    return [
        result.line(),
        f"limit {args.limit}/minute, {sent} requests sent inside one window by "
        f"{args.concurrency} threads: admitted {admitted}, refused {result.statuses[429]}, "
        f"error {admitted - min(sent, args.limit):+d} ({admitted / args.limit:.4f} of the limit)",
        "admitted per worker pid: " + ", ".join(f"{pid}: {n}" for pid, n in per_worker.items()),
        f"429s with Retry-After >= 1: {sum(v >= 1 for v in retry_after)} of {len(retry_after)}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=1000, help="per load phase")
    parser.add_argument("--seconds", type=float, default=20.0, help="cap per load phase")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads")
    parser.add_argument("--limit", type=int, default=200, help="limit of the accuracy phase")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="load_api-") as workdir:
        stack = Stack(Path(workdir), CLIENTS, rate_limit=UNLIMITED)
        started = time.perf_counter()
        stack.start()
        try:
            print(f"stack ready in {time.perf_counter() - started:.2f} s "
                  f"(redis-server, auth + api under gunicorn, 2 sync workers each)")  # fmt: skip
            assert stack.api is not None
            projects = f"{stack.api.base_url}/v1/projects"
            with httpx.Client(timeout=10.0) as http:
                reader = token_headers(stack, http, "bench-list")
                writer = token_headers(stack, http, "bench-create")
                for n in range(20):
                    http.post(
                        projects, json={"name": f"seed-{n}"}, headers=reader
                    ).raise_for_status()

            def list_page(http: httpx.Client, index: int) -> httpx.Response:
                return http.get(projects, params={"limit": 20}, headers=reader)

            def create(http: httpx.Client, index: int) -> httpx.Response:
                return http.post(projects, json={"name": f"load-{index}"}, headers=writer)

            print(f"load: {args.requests} requests or {args.seconds:g} s per phase, "
                  f"{args.concurrency} client threads, a new connection per request")  # fmt: skip
            for name, send in (("list", list_page), ("create", create)):
                phase = run_phase(
                    name,
                    send,
                    requests=args.requests,
                    seconds=args.seconds,
                    threads=args.concurrency,
                )
                print(phase.line())
            limited = stack.start_api("api-limited", rate_limit=f"{args.limit}/minute")
            for line in limiter_accuracy(stack, limited, args):
                print(line)
        finally:
            stack.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
