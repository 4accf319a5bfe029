"""Settings: TOML file, one error listing every problem on one line, no secret in reprs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import argon2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from apps.auth_service.clients import parse_jwks
from apps.auth_service.settings import Argon2Settings, Settings, SettingsError
from tests.unit.auth.configuration import ec_public_jwk
from tests.utils.keys import pem_public


def _problems(data, base_dir=Path()):
    with pytest.raises(SettingsError) as caught:
        Settings.from_mapping(data, base_dir=base_dir)
    return caught.value.problems


def test_from_file__reads_the_file_and_resolves_key_paths(config_path, tmp_path):
    settings = Settings.from_file(config_path)
    assert settings.keys.active == tmp_path / "keys" / "active.pem"
    assert settings.token_lifetime_seconds == 600
    assert settings.replay_cache_url == "memory://"
    assert settings.argon2.memory_cost_kib == 8
    assert [client.client_id for client in settings.clients] == [
        "svc-basic",
        "svc-jwt",
        "svc-es256",
    ]


def test_from_environ__reads_the_file_auth_service_config_names(config_path):
    settings = Settings.from_environ({"AUTH_SERVICE_CONFIG": str(config_path)})
    assert settings == Settings.from_file(config_path)


def test_from_file__error_is_one_line_naming_every_field(config_data, write_config):
    config_data.update(token_lifetime_seconds=0, replay_cache_url="redis:/oops")
    with pytest.raises(SettingsError) as caught:
        Settings.from_file(write_config(config_data))
    assert str(caught.value) == (
        "invalid auth_service configuration: token_lifetime_seconds: must be at least 1;"
        " replay_cache_url: must be memory:// or a URL starting with redis://, rediss://"
    )


def test_argon2_settings_from_file__problems_named_under_the_table(config_data, write_config):
    config_data["argon2"] = {"time_cost": 0, "parallelism": 2, "memory_cost_kib": 8}
    with pytest.raises(SettingsError) as caught:
        Argon2Settings.from_file(write_config(config_data))
    assert caught.value.problems == [
        "argon2.time_cost: must be at least 1",
        "argon2.memory_cost_kib: must be at least 8 KiB per lane (8 * parallelism)",
    ]


def test_from_environ__without_the_variable__names_it():
    with pytest.raises(SettingsError, match="AUTH_SERVICE_CONFIG"):
        Settings.from_environ({"AUTH_SERVICE_CONFIG": ""})


def test_from_file__missing_file(tmp_path):
    with pytest.raises(SettingsError, match=r"nope\.toml: cannot be read"):
        Settings.from_file(tmp_path / "nope.toml")


def test_from_file__invalid_toml(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("issuer = [unclosed", encoding="utf-8")
    with pytest.raises(SettingsError, match="not valid TOML"):
        Settings.from_file(path)


def test_settings__one_error_lists_every_problem():
    problems = _problems(
        {
            "issuer": "ftp://x",
            "token_endpoint": "http://remote.example.test/token",
            "token_lifetime_seconds": "long",
            "clock_leeway_seconds": 9999,
            "replay_cache_url": "memcached://x",
            "surprise": 1,
            "keys": {"retired": [{"path": "old.pem", "retired_at": "yesterday"}], "upcoming": [3]},
            "argon2": {"memory_cost_kib": 8, "parallelism": 4, "time_cost": True},
            "registry": {"source": "ldap", "retries": 99},
        }
    )
    assert problems == [
        "issuer: must be an http:// or https:// URL with a host",
        "token_endpoint: must use https (plain http only for loopback hosts)",
        "access_token_audience: is required",
        "token_lifetime_seconds: must be an integer",
        "clock_leeway_seconds: must be at most 300",
        "replay_cache_url: must be memory:// or a URL starting with redis://, rediss://",
        "keys.active: is required",
        "keys.retired[0].retired_at: must be a date-time",
        "keys.upcoming[0]: must be a key file path",
        "argon2.time_cost: must be an integer",
        "argon2.memory_cost_kib: must be at least 8 KiB per lane (8 * parallelism)",
        "registry.source: must be one of config or directory",
        "registry.retries: must be at most 5",
        "surprise: is not a known setting",
    ]


@pytest.mark.parametrize(
    ("timeout", "expected"),
    [
        ("slow", "must be a number"),
        ("2.0", "must be a number"),
        (0, "must be at least 0.05"),
        (61, "must be at most 60.0"),
        (True, "must be a number"),
    ],
)
def test_settings__registry_timeout_is_checked(config_data, timeout, expected):
    config_data["registry"] = {"timeout_seconds": timeout}
    assert _problems(config_data) == [f"registry.timeout_seconds: {expected}"]


def test_settings__argon2_memory_must_cover_lanes(config_data):
    config_data["argon2"] = {"memory_cost_kib": 16, "parallelism": 4}
    assert _problems(config_data) == [
        "argon2.memory_cost_kib: must be at least 8 KiB per lane (8 * parallelism)"
    ]


def test_settings__wrong_shapes_are_reported(config_data):
    config_data.update(keys="active.pem", argon2=[1], registry=3, clients={"a": 1})
    assert _problems(config_data) == [
        "keys: must be a table",
        "argon2: must be a table",
        "registry: must be a table",
        "clients: must be an array",
    ]


def test_settings__directory_registry_needs_a_url(config_data):
    config_data["registry"] = {"source": "directory"}
    assert _problems(config_data) == ["registry.url: is required when registry.source is directory"]


def test_settings__config_registry_needs_clients(config_data):
    config_data["clients"] = []
    assert _problems(config_data) == [
        "clients: at least one client is required when registry.source is config"
    ]


def test_settings__loopback_http_issuer_is_allowed(config_data):
    config_data["issuer"] = "http://127.0.0.1:8001"
    settings = Settings.from_mapping(config_data, base_dir=Path())
    assert settings.jwks_uri == "http://127.0.0.1:8001/.well-known/jwks.json"


def test_settings__retired_keys_accept_toml_datetimes(config_data):
    config_data["keys"]["retired"] = [
        {"path": "/abs/old.pem", "retired_at": datetime(2026, 1, 1, 1, tzinfo=UTC)},
        {"path": "old2.pem", "retired_at": "2026-01-01T00:00:00+02:00"},
    ]
    config_data["keys"]["upcoming"] = ["next.pem"]
    settings = Settings.from_mapping(config_data, base_dir=Path("/etc/auth"))
    first, second = settings.keys.retired
    assert first.path == Path("/abs/old.pem")
    assert second.path == Path("/etc/auth/old2.pem")
    assert second.retired_at == datetime(2025, 12, 31, 22, tzinfo=UTC)
    assert settings.keys.upcoming == (Path("/etc/auth/next.pem"),)


def test_settings__naive_datetime_is_refused(config_data):
    config_data["keys"]["retired"] = [{"path": "old.pem", "retired_at": "2026-01-01T00:00:00"}]
    assert _problems(config_data) == [
        "keys.retired[0].retired_at: must be a date-time with a UTC offset,"
        " e.g. 2026-01-01T00:00:00Z"
    ]


def test_settings__repr_hides_secrets(config_data):
    config_data["replay_cache_url"] = "redis://:hunter2-pass@cache:6379/0"
    config_data["registry"] = {"source": "directory", "url": "https://u:dir-pass@dir.example.test"}
    settings = Settings.from_mapping(config_data, base_dir=Path())
    text = repr(settings)
    assert "hunter2-pass" not in text
    assert "dir-pass" not in text
    assert "$argon2id$" not in text


def test_settings__error_never_quotes_a_secret_value(config_data):
    config_data["replay_cache_url"] = "memcached://:hunter2-pass@x"
    config_data["clients"][0]["secret_hash"] = "plaintext-secret-by-mistake"
    problems = "\n".join(_problems(config_data))
    assert "hunter2-pass" not in problems
    assert "plaintext-secret-by-mistake" not in problems
    assert "clients[0].secret_hash: must be an argon2id hash" in problems


class TestClientParsing:
    def _client_problems(self, config_data, **changes):
        client = {**config_data["clients"][1], **changes}
        client = {k: v for k, v in client.items() if v is not None}
        config_data["clients"] = [client]
        return _problems(config_data)

    def test_duplicate_client_ids(self, config_data):
        """Two clients with the same id are refused."""
        config_data["clients"].append(dict(config_data["clients"][0]))
        assert _problems(config_data) == ["clients: entry 3 repeats the client_id of entry 0"]

    @pytest.mark.parametrize(
        ("changes", "expected"),
        [
            ({"client_id": "has space"}, "clients[0].client_id: must match"),
            ({"tenant": ""}, "clients[0].tenant: must match"),
            ({"tenant": 7}, "clients[0].tenant: must be a string"),
            ({"allowed_scopes": ["ok", 'bad"scope']}, "clients[0].allowed_scopes[1]: must match"),
            ({"allowed_scopes": None}, "clients[0].allowed_scopes: is required"),
            ({"allowed_scopes": []}, "clients[0].allowed_scopes: must have at least 1 item(s)"),
            ({"auth_method": "tls_client_auth"}, "clients[0].auth_method: must be one of"),
            ({"secret_hash": "$argon2id$x"}, "private_key_jwt clients take no secret"),
            (
                {"public_key_pem": None},
                "clients[0].jwks: give exactly one of public_key_pem or jwks",
            ),
            ({"jwks": '{"keys": []}'}, "clients[0].jwks: give exactly one of"),
            ({"public_key_pem": "garbage"}, "is not a PEM public key"),
            ({"public_key_pem": 5}, "clients[0].public_key_pem: must be a string"),
            ({"public_key_pem": "caf\u00e9"}, "is not a PEM public key"),
            ({"color": "blue"}, "clients[0].color: is not a known setting"),
        ],
    )
    def test_invalid_client_fields(self, config_data, changes, expected):
        """Each invalid client field is named."""
        assert expected in "\n".join(self._client_problems(config_data, **changes))

    def test_unsupported_public_key_curve(self, config_data):
        """A P-384 public key is refused."""
        pem = pem_public(ec.generate_private_key(ec.SECP384R1()))
        assert "Ed25519 or P-256" in "\n".join(
            self._client_problems(config_data, public_key_pem=pem)
        )

    def test_basic_client_needs_a_secret_hash(self, config_data):
        """A secret client without a stored hash is refused."""
        client = {k: v for k, v in config_data["clients"][0].items() if k != "secret_hash"}
        config_data["clients"] = [client]
        assert _problems(config_data) == ["clients[0].secret_hash: is required"]

    def test_basic_client_repeated_scopes_kept_once(self, config_data):
        config_data["clients"][0]["allowed_scopes"] = ["a", "b", "a"]
        settings = Settings.from_mapping(config_data, base_dir=Path())
        assert settings.clients[0].allowed_scopes == ("a", "b")

    def test_basic_client_with_public_key(self, config_data):
        """A secret client may not also register a key."""
        client = {**config_data["clients"][0], "public_key_pem": "x"}
        config_data["clients"] = [client]
        assert _problems(config_data) == [
            "clients[0].public_key_pem: client_secret_basic clients take no public key"
        ]

    @pytest.mark.parametrize(
        "secret_hash",
        [
            "$argon2i$v=19$m=8,t=1,p=1$c29tZXNhbHQ$5c2VnZXQ",
            "bcrypt$2b$12$abc",
        ],
    )
    def test_basic_client_needs_argon2id(self, config_data, secret_hash):
        """Only argon2id hashes are accepted."""
        config_data["clients"] = [{**config_data["clients"][0], "secret_hash": secret_hash}]
        assert "must be an argon2id hash" in _problems(config_data)[0]

    @pytest.mark.parametrize(
        ("jwks", "expected"),
        [
            ("{not json", "is not valid JSON"),
            ({"keys": []}, 'non-empty "keys"'),
            ({"keys": ["x"]}, "each key must be an object"),
            ({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}, "private members"),
            ({"keys": [{"kty": "oct", "x": "c2VjcmV0"}]}, "Ed25519 (OKP) or P-256 (EC)"),
            ({"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}, "Ed25519 (OKP) or P-256 (EC)"),
            ({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "!!"}]}, "malformed"),
            ({"keys": [{"kty": "OKP", "crv": "X25519", "x": "AAAA"}]}, "P-256 (EC)"),
            ({"keys": [{"kty": "EC", "crv": "P-256", "kid": 3}]}, "kid must be a string"),
            ({"keys": [{"kty": "OKP", "crv": "Ed25519", "use": "enc"}]}, 'use "sig"'),
        ],
    )
    def test_invalid_jwks(self, config_data, jwks, expected):
        """A JWKS with anything but public Ed25519/P-256 keys is refused."""
        assert expected in "\n".join(
            self._client_problems(config_data, public_key_pem=None, jwks=jwks)
        )

    def test_jwks_with_private_member_is_refused(self, config_data):
        """A registered JWK must not carry the private scalar."""
        jwk = {**ec_public_jwk(ec.generate_private_key(ec.SECP256R1())), "d": "AAAA"}
        problems = self._client_problems(config_data, public_key_pem=None, jwks={"keys": [jwk]})
        assert problems == ["clients[0].jwks: each key must be public (it has private members)"]

    def test_jwks_alg_must_match_key(self, config_data):
        """A P-256 key labelled EdDSA is refused."""
        jwk = ec_public_jwk(ec.generate_private_key(ec.SECP256R1()), alg="EdDSA")
        problems = self._client_problems(config_data, public_key_pem=None, jwks={"keys": [jwk]})
        assert problems == ["clients[0].jwks: alg does not fit the key: a P-256 (alg ES256) key"]

    def test_jwks_as_table_and_ed25519_jwk(self):
        """An Ed25519 JWK parses to an EdDSA key."""
        import base64

        raw = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes_raw()
        x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        (key,) = parse_jwks({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "k"}]})
        assert (key.algorithm, key.kid) == ("EdDSA", "k")


def test_settings__basic_client_hashed_at_other_costs_is_refused(config_data):
    """Its response time would differ from an unknown client's, which spends the configured cost."""
    other = argon2.PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    config_data["clients"][0]["secret_hash"] = other.hash("x")
    with pytest.raises(SettingsError) as caught:
        Settings.from_mapping(config_data, base_dir=Path("."))
    assert caught.value.problems == [
        "clients[0].secret_hash: hashed with t=2, m=16 KiB, p=1 but [argon2] is"
        " t=1, m=8 KiB, p=1; hash it again with `python -m apps.auth_service hash-secret`"
    ]
