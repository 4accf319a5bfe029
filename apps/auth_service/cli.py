"""Operator commands.

    python -m apps.auth_service hash-secret [PATH] < secret.txt   # prints an argon2id hash
    python -m apps.auth_service check-config [PATH]               # validates config and keys

PATH defaults to ``$AUTH_SERVICE_CONFIG``. ``hash-secret`` reads the secret
from standard input (never from the command line, where it would land in
shell history and process lists) and hashes it with the configuration's
``[argon2]`` costs: the service refuses hashes of any other costs, whose
verification time would differ from an unknown client's.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from apps.auth_service.keys import KeyFileError, load_key_set
from apps.auth_service.passwords import hash_secret
from apps.auth_service.settings import Argon2Settings, Settings, SettingsError, config_path


def _read_secret(stdin: TextIO) -> str:
    secret = getpass.getpass("secret: ") if stdin.isatty() else stdin.readline()
    return secret.rstrip("\r\n")


def main(argv: Sequence[str] | None = None, *, stdin: TextIO | None = None) -> int:
    """Run an operator command; returns the exit code (0 ok, 1 invalid config, 2 bad input)."""
    parser = argparse.ArgumentParser(prog="python -m apps.auth_service")
    commands = parser.add_subparsers(dest="command", required=True)
    hashing = commands.add_parser("hash-secret", help="hash a client secret read from stdin")
    hashing.add_argument("path", nargs="?", help="TOML file (default: $AUTH_SERVICE_CONFIG)")
    checking = commands.add_parser("check-config", help="validate the config and its key files")
    checking.add_argument("path", nargs="?", help="TOML file (default: $AUTH_SERVICE_CONFIG)")
    args = parser.parse_args(argv)

    if args.command == "hash-secret":
        try:
            params = Argon2Settings.from_file(config_path(os.environ, args.path))
        except SettingsError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        secret = _read_secret(stdin if stdin is not None else sys.stdin)
        if not secret:
            print("error: empty secret", file=sys.stderr)
            return 2
        print(hash_secret(secret, params))
        return 0

    try:
        settings = Settings.from_file(config_path(os.environ, args.path))
        key_set = load_key_set(settings.keys)
    except (SettingsError, KeyFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"ok: issuer {settings.issuer}, active key {key_set.active.kid} ({key_set.active.alg}),")
    print(f"    {len(key_set.retired)} retired key(s), {len(settings.clients)} client(s)")
    return 0
