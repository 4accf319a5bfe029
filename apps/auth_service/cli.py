"""Operator commands.

    python -m apps.auth_service hash-secret < secret.txt     # prints an argon2id hash
    python -m apps.auth_service check-config [PATH]          # validates config and key files

``hash-secret`` reads the secret from standard input (never from the command
line, where it would land in shell history and process lists).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from argon2.exceptions import Argon2Error

from apps.auth_service.config import Argon2Settings, load_settings
from apps.auth_service.errors import ConfigError, KeyFileError
from apps.auth_service.keys import load_key_set
from apps.auth_service.passwords import hash_secret


def _positive_int(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {raw!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {raw!r}")
    return value


def _read_secret(stdin: TextIO) -> str:
    secret = getpass.getpass("secret: ") if stdin.isatty() else stdin.readline()
    return secret.rstrip("\r\n")


def main(argv: Sequence[str] | None = None, *, stdin: TextIO | None = None) -> int:
    """Run an operator command; returns the exit code (0 ok, 1 invalid config, 2 bad input)."""
    parser = argparse.ArgumentParser(prog="python -m apps.auth_service")
    commands = parser.add_subparsers(dest="command", required=True)
    hashing = commands.add_parser("hash-secret", help="hash a client secret read from stdin")
    defaults = Argon2Settings()
    hashing.add_argument("--time-cost", type=_positive_int, default=defaults.time_cost)
    hashing.add_argument("--memory-cost-kib", type=_positive_int, default=defaults.memory_cost_kib)
    hashing.add_argument("--parallelism", type=_positive_int, default=defaults.parallelism)
    checking = commands.add_parser("check-config", help="validate the config and its key files")
    checking.add_argument("path", nargs="?", help="TOML file (default: $AUTH_SERVICE_CONFIG)")
    args = parser.parse_args(argv)

    if args.command == "hash-secret":
        secret = _read_secret(stdin if stdin is not None else sys.stdin)
        if not secret:
            print("error: empty secret", file=sys.stderr)
            return 2
        params = Argon2Settings(args.time_cost, args.memory_cost_kib, args.parallelism)
        try:
            print(hash_secret(secret, params))
        except (Argon2Error, ValueError) as exc:  # costs argon2 cannot use
            print(f"error: {exc}", file=sys.stderr)
            return 2
        return 0

    try:
        settings = load_settings(args.path, os.environ)
        key_set = load_key_set(settings.keys)
    except (ConfigError, KeyFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"ok: issuer {settings.issuer}, active key {key_set.active.kid} ({key_set.active.alg}),")
    print(f"    {len(key_set.retired)} retired key(s), {len(settings.clients)} client(s)")
    return 0
