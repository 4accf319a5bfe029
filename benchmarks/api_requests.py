"""Benchmark the API: authenticated ``GET /v1/projects`` through Flask's test client.

    python benchmarks/api_requests.py [--seconds 2] [--page-size 20]

Every request carries a bearer token that is fully verified (EdDSA signature,
claims), is counted by the in-memory rate limiter, opens a SQLite connection
and lists one page of projects. No sockets are involved, so the figures are
the service's own work. For comparison the token verification alone and an
ES256 token are measured too. Access events are filtered out so that log
output does not dominate.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import structlog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from apps.api.access_tokens import JwtAccessTokenVerifier
from apps.api.app import create_app
from apps.api.jwks import StaticKeySet
from apps.api.rate_limit import create_storage
from apps.api.settings import Settings
from tests.unit.api.tokens import AUDIENCE, ISSUER, JWKS_URL, SigningKey, TokenFactory


class WallClock:
    """The real clock, in the shape TokenFactory expects."""

    @staticmethod
    def time() -> float:
        return time.time()


def measure(budget: float, action: Callable[[], object]) -> list[float]:
    """Latencies (seconds) of ``action`` run repeatedly for ``budget`` seconds."""
    for _ in range(20):  # warm-up: imports, first connection, caches
        action()
    latencies: list[float] = []
    deadline = time.perf_counter() + budget
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        action()
        latencies.append(time.perf_counter() - start)
    return latencies


def report(label: str, latencies: list[float]) -> None:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    rate = len(ordered) / sum(ordered)
    print(
        f"{label:<44} {len(ordered):>7} runs  {rate:>9.0f} /s  p50 {p50:7.3f} ms  p99 {p99:7.3f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    parser.add_argument("--page-size", type=int, default=20, help="projects per listed page")
    args = parser.parse_args(argv)

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    ed_key, ec_key = SigningKey.ed25519(), SigningKey.p256()
    keys = StaticKeySet([ed_key.verification_key(), ec_key.verification_key()])
    tokens = TokenFactory(ed_key, WallClock())
    ed_token = tokens.token("bench", "bench-client")
    ec_token = tokens.token("bench", "bench-client", key=ec_key)

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            jwks_url=JWKS_URL,
            issuer=ISSUER,
            audience=AUDIENCE,
            database_path=Path(tmp) / "bench.sqlite3",
            rate_limit="100000000/minute",
        )
        app = create_app(settings, key_source=keys, rate_limit_storage=create_storage("memory://"))
        client = app.test_client()
        headers = {"Authorization": f"Bearer {ed_token}"}
        for index in range(args.page_size):
            client.post("/v1/projects", json={"name": f"project {index}"}, headers=headers)
        path = f"/v1/projects?limit={args.page_size}"
        first = client.get(path, headers=headers)
        if first.status_code != 200 or len(first.json["items"]) != args.page_size:
            print(f"setup failed: {first.status_code} {first.get_data(as_text=True)}")
            return 1

        print(
            f"python {sys.version.split()[0]}, {args.seconds:g}s per line, page of {args.page_size}"
        )
        report(
            "GET /v1/projects (EdDSA token)",
            measure(args.seconds, lambda: client.get(path, headers=headers)),
        )
        ec_headers = {"Authorization": f"Bearer {ec_token}"}
        report(
            "GET /v1/projects (ES256 token)",
            measure(args.seconds, lambda: client.get(path, headers=ec_headers)),
        )
        report(
            "GET /healthz (no auth, no database)",
            measure(args.seconds, lambda: client.get("/healthz")),
        )
        verifier = JwtAccessTokenVerifier(
            keys, issuer=ISSUER, audience=AUDIENCE, clock=time.time, leeway=30
        )
        report(
            "token verification alone (EdDSA)",
            measure(args.seconds, lambda: verifier.verify(ed_token)),
        )
        report(
            "token verification alone (ES256)",
            measure(args.seconds, lambda: verifier.verify(ec_token)),
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
