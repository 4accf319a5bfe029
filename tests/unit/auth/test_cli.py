"""Operator commands: python -m apps.auth_service hash-secret | check-config."""

import io
import os

import pytest
from argon2 import PasswordHasher

from apps.auth_service.cli import main

CHEAP = ["--time-cost", "1", "--memory-cost-kib", "8", "--parallelism", "1"]


def test_hash_secret__prints_an_argon2id_hash_of_stdin(capsys):
    assert main(["hash-secret", *CHEAP], stdin=io.StringIO("s3cret-value\n")) == 0
    out, err = capsys.readouterr()
    stored = out.strip()
    assert stored.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert PasswordHasher().verify(stored, "s3cret-value")
    assert "s3cret-value" not in out + err


def test_hash_secret__refuses_an_empty_secret(capsys):
    assert main(["hash-secret", *CHEAP], stdin=io.StringIO("\n")) == 2
    assert capsys.readouterr().err.strip() == "error: empty secret"


@pytest.mark.parametrize("flag", ["--time-cost", "--memory-cost-kib", "--parallelism"])
@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_hash_secret__rejects_non_positive_costs(capsys, flag, value):
    with pytest.raises(SystemExit) as exited:
        main(["hash-secret", flag, value], stdin=io.StringIO("x\n"))
    assert exited.value.code == 2
    assert f"must be a positive integer, got '{value}'" in capsys.readouterr().err


def test_hash_secret__costs_argon2_cannot_use_are_one_error_line(capsys):
    args = ["hash-secret", "--time-cost", "1", "--memory-cost-kib", "1", "--parallelism", "4"]
    assert main(args, stdin=io.StringIO("x\n")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: Memory cost is too small"]


def test_check_config__summarises_a_valid_config(config_path, capsys):
    assert main(["check-config", str(config_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok: issuer ")
    assert "active key " in out
    assert "client(s)" in out


def test_check_config__reads_the_path_from_the_environment(config_path, monkeypatch, capsys):
    monkeypatch.setenv("AUTH_SERVICE_CONFIG", str(config_path))
    assert main(["check-config"]) == 0
    assert capsys.readouterr().out.startswith("ok: issuer ")


def test_check_config__reports_an_invalid_config_in_one_line(write_config, capsys):
    path = write_config({"issuer": 42})
    assert main(["check-config", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "Traceback" not in err


def test_check_config__refuses_a_world_readable_key(config_path, config_data, capsys):
    key_file = config_path.parent / config_data["keys"]["active"]
    os.chmod(key_file, 0o644)
    assert main(["check-config", str(config_path)]) == 1
    assert "error: " in capsys.readouterr().err
