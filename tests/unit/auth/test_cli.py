"""Operator commands: python -m apps.auth_service hash-secret | check-config."""

import io
import os

from argon2 import PasswordHasher

from apps.auth_service.cli import main


def test_hash_secret__uses_the_configured_argon2_costs(config_path, capsys):
    """The hash must have the costs the service verifies with, or the service refuses it."""
    assert main(["hash-secret", str(config_path)], stdin=io.StringIO("s3cret-value\n")) == 0
    out, err = capsys.readouterr()
    stored = out.strip()
    assert stored.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert PasswordHasher().verify(stored, "s3cret-value")
    assert "s3cret-value" not in out + err


def test_hash_secret__reads_the_config_path_from_the_environment(config_path, monkeypatch, capsys):
    monkeypatch.setenv("AUTH_SERVICE_CONFIG", str(config_path))
    assert main(["hash-secret"], stdin=io.StringIO("s3cret-value\n")) == 0
    assert capsys.readouterr().out.startswith("$argon2id$v=19$m=8,t=1,p=1$")


def test_hash_secret__hash_is_accepted_by_check_config(
    config_path, config_data, write_config, capsys
):
    """The documented workflow: hash with the config's costs, paste, check."""
    assert main(["hash-secret", str(config_path)], stdin=io.StringIO("new-secret\n")) == 0
    config_data["clients"][0]["secret_hash"] = capsys.readouterr().out.strip()
    assert main(["check-config", str(write_config(config_data, "rehashed.toml"))]) == 0
    assert capsys.readouterr().out.startswith("ok: issuer ")


def test_hash_secret__without_a_config_is_an_error(capsys):
    assert main(["hash-secret"], stdin=io.StringIO("x\n")) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "no configuration file: set AUTH_SERVICE_CONFIG or name the file" in err
    assert "Traceback" not in err


def test_hash_secret__refuses_an_empty_secret(config_path, capsys):
    assert main(["hash-secret", str(config_path)], stdin=io.StringIO("\n")) == 2
    assert capsys.readouterr().err.strip() == "error: empty secret"


def test_hash_secret__invalid_argon2_table_is_reported(write_config, capsys):
    path = write_config({"argon2": {"memory_cost_kib": 8, "parallelism": 4}}, "costs.toml")
    assert main(["hash-secret", str(path)], stdin=io.StringIO("x\n")) == 1
    err = capsys.readouterr().err
    assert "argon2.memory_cost_kib: must be at least 8 KiB per lane" in err
    assert "Traceback" not in err


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


def test_check_config__refuses_a_hash_of_other_costs(config_data, write_config, capsys):
    config_data["clients"][0]["secret_hash"] = PasswordHasher(
        time_cost=1, memory_cost=16, parallelism=1
    ).hash("x")
    assert main(["check-config", str(write_config(config_data))]) == 1
    err = capsys.readouterr().err
    assert "clients[0].secret_hash: hashed with t=1, m=16 KiB, p=1 but [argon2] is" in err
