"""Benchmark the token service: tokens/s per client-auth method and argon2id cost.

    python benchmarks/auth_tokens.py [--seconds 1.5]

Requests go through Flask's test client (no sockets), so the figures measure
the service's own work: parsing, client authentication, signing and JSON.
Each measurement runs for about ``--seconds`` (at least a few iterations).
Audit and access events are filtered out so that log output does not dominate.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import structlog
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from apps.auth_service.app import create_app
from apps.auth_service.client_auth import JWT_BEARER
from apps.auth_service.passwords import SecretVerifier, make_hasher
from apps.auth_service.settings import Argon2Settings, Settings
from tests.utils.client_assertion import assertion_claims
from tests.utils.keys import pem_public, write_private_key

ENDPOINT = "https://auth.bench.test/oauth/token"
PRODUCTION = Argon2Settings()  # RFC 9106 second recommended option: t=3, 64 MiB, p=4
CHEAP = Argon2Settings(time_cost=1, memory_cost_kib=8, parallelism=1)


def timed(budget: float, action: Callable[[], object], minimum: int = 3) -> tuple[int, float]:
    """Run ``action`` until ``budget`` seconds have passed (and at least ``minimum`` times)."""
    count, start = 0, time.perf_counter()
    while count < minimum or time.perf_counter() - start < budget:
        action()
        count += 1
    return count, time.perf_counter() - start


def write_config(
    directory: Path, secret: str, ed_key: Any, ec_key: Any, costs: Argon2Settings
) -> Path:
    """A config whose Basic client's hash has ``costs``, the config's [argon2] costs.

    The service refuses hashes of other costs, so production and test costs
    need one config each.
    """
    write_private_key(directory / "active.pem", ed25519.Ed25519PrivateKey.generate())
    clients = [
        (
            "basic",
            "client_secret_basic",
            f'secret_hash = "{make_hasher(costs).hash(secret)}"',
        ),
        ("jwt-eddsa", "private_key_jwt", f"public_key_pem = {json.dumps(pem_public(ed_key))}"),
        ("jwt-es256", "private_key_jwt", f"public_key_pem = {json.dumps(pem_public(ec_key))}"),
    ]
    text = [
        'issuer = "https://auth.bench.test"',
        f'token_endpoint = "{ENDPOINT}"',
        'access_token_audience = "https://api.bench.test"',
        "replay_cache_max_entries = 10000000",
        '[keys]\nactive = "active.pem"',
        f"[argon2]\ntime_cost = {costs.time_cost}\nmemory_cost_kib = {costs.memory_cost_kib}"
        f"\nparallelism = {costs.parallelism}",
        # Throttling failed attempts is not what this benchmark measures.
        '[throttle]\nfailures_per_client = "1000000/minute"',
        'failures_per_address = "1000000/minute"',
    ]
    for client_id, method, credential in clients:
        text.append(
            f'[[clients]]\nclient_id = "{client_id}"\ntenant = "bench"\n'
            f'allowed_scopes = ["read"]\nauth_method = "{method}"\n{credential}'
        )
    path = directory / "auth.toml"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return path


def kdf_figures(budget: float) -> list[tuple[str, float]]:
    rows = []
    for label, params in (
        ("production (t=3, 64 MiB, p=4)", PRODUCTION),
        ("test (t=1, 8 KiB)", CHEAP),
    ):
        hasher = make_hasher(params)
        stored = hasher.hash("benchmark-secret")
        count, elapsed = timed(budget / 2, lambda h=hasher: h.hash("benchmark-secret"))
        rows.append((f"argon2id hash, {label}", elapsed / count * 1000))
        count, elapsed = timed(
            budget / 2, lambda h=hasher, s=stored: h.verify(s, "benchmark-secret")
        )
        rows.append((f"argon2id verify, {label}", elapsed / count * 1000))
    verifier = SecretVerifier(PRODUCTION)
    count, elapsed = timed(budget / 2, lambda: verifier.verify(None, "x"))
    rows.append(("decoy verify for an unknown client, production", elapsed / count * 1000))
    return rows


def token_figures(budget: float) -> list[tuple[str, float, float]]:
    ed_key, ec_key = ed25519.Ed25519PrivateKey.generate(), ec.generate_private_key(ec.SECP256R1())
    secret = secrets.token_urlsafe(24)
    apps = {}
    for label, costs in (("production", PRODUCTION), ("test", CHEAP)):
        with tempfile.TemporaryDirectory() as tmp:
            config = write_config(Path(tmp), secret, ed_key, ec_key, costs)
            apps[label] = create_app(Settings.from_file(config))
    client = apps["production"].test_client()
    form = {"grant_type": "client_credentials"}

    def basic(costs: str) -> Callable[[], None]:
        header = {"Authorization": "Basic " + base64.b64encode(f"basic:{secret}".encode()).decode()}
        app_client = apps[costs].test_client()

        def call() -> None:
            response = app_client.post("/oauth/token", data=form, headers=header)
            if response.status_code != 200:
                raise RuntimeError(response.get_json())

        return call

    def assertion(client_id: str, key: Any, alg: str) -> Callable[[], None]:
        def call() -> None:
            claims = assertion_claims(client_id, ENDPOINT, int(time.time()))
            signed = jwt.encode(claims, key, algorithm=alg)
            data = {**form, "client_assertion_type": JWT_BEARER, "client_assertion": signed}
            response = client.post("/oauth/token", data=data)
            if response.status_code != 200:
                raise RuntimeError(response.get_json())

        return call

    cases = [
        ("client_secret_basic, production argon2id", basic("production")),
        ("client_secret_basic, test argon2id", basic("test")),
        ("private_key_jwt, EdDSA assertion", assertion("jwt-eddsa", ed_key, "EdDSA")),
        ("private_key_jwt, ES256 assertion", assertion("jwt-es256", ec_key, "ES256")),
    ]
    rows = []
    for label, call in cases:
        call()  # warm up
        samples = []
        count, elapsed = timed(budget, lambda c=call, out=samples: out.append(_time(c)))
        rows.append((label, count / elapsed, statistics.median(samples) * 1000))
    return rows


def _time(call: Callable[[], None]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.5, help="time budget per measurement")
    args = parser.parse_args(argv)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))

    print("KDF cost (ms per operation)")
    for label, ms in kdf_figures(args.seconds):
        print(f"  {label:<52} {ms:9.2f} ms")
    print("\nToken endpoint through the Flask test client")
    print(f"  {'client authentication':<52} {'tokens/s':>9}  {'median':>9}")
    for label, rate, median_ms in token_figures(args.seconds):
        print(f"  {label:<52} {rate:9.1f}  {median_ms:7.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
