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

from apps.auth_service.config import Argon2Settings, load_settings
from apps.auth_service.errors import ConfigError, KeyFileError
from apps.auth_service.keys import load_key_set
from apps.auth_service.passwords import hash_secret


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m apps.auth_service")
    commands = parser.add_subparsers(dest="command", required=True)
    hashing = commands.add_parser("hash-secret", help="hash a client secret read from stdin")
    defaults = Argon2Settings()
    hashing.add_argument("--time-cost", type=int, default=defaults.time_cost)
    hashing.add_argument("--memory-cost-kib", type=int, default=defaults.memory_cost_kib)
    hashing.add_argument("--parallelism", type=int, default=defaults.parallelism)
    checking = commands.add_parser("check-config", help="validate the config and its key files")
    checking.add_argument("path", nargs="?", help="TOML file (default: $AUTH_SERVICE_CONFIG)")
    args = parser.parse_args(argv)

    if args.command == "hash-secret":
        secret = getpass.getpass("secret: ") if sys.stdin.isatty() else sys.stdin.readline()
        secret = secret.rstrip("\r\n")
        if not secret:
            print("error: empty secret", file=sys.stderr)
            return 2
        params = Argon2Settings(args.time_cost, args.memory_cost_kib, args.parallelism)
        print(hash_secret(secret, params))
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


if __name__ == "__main__":
    sys.exit(main())
