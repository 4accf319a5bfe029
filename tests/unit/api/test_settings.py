"""Settings.from_environ: typed API_* settings, one error listing every problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.api.settings import Settings, SettingsError

REQUIRED = {
    "API_JWKS_URL": "https://auth.test/jwks",
    "API_ISSUER": "https://auth.test",
    "API_AUDIENCE": "projects-api",
}


def test_from_environ__required_only__defaults():
    """With the three required variables every other setting has its default."""
    settings = Settings.from_environ(REQUIRED)
    assert settings == Settings(
        jwks_url="https://auth.test/jwks", issuer="https://auth.test", audience="projects-api"
    )
    assert settings.database_path == Path("api.sqlite3")
    assert settings.rate_limit == "100/minute"
    assert settings.rate_limit_storage_url == "memory://"
    assert settings.max_body_bytes == 65536


def test_from_environ__every_variable__parsed():
    """Each API_* variable lands in its typed field."""
    settings = Settings.from_environ(
        {
            **REQUIRED,
            "API_DATABASE_PATH": "/var/lib/api/db.sqlite3",
            "API_RATE_LIMIT": "10 per second",
            "API_RATE_LIMIT_STORAGE_URL": "redis://:secret@redis:6379/0",
            "API_MAX_BODY_BYTES": "1024",
            "API_TOKEN_LEEWAY_SECONDS": "0",
            "API_JWKS_CACHE_TTL_SECONDS": "60",
            "API_JWKS_REFETCH_COOLDOWN_SECONDS": "2.5",
            "API_JWKS_TIMEOUT_SECONDS": "1",
        }
    )
    assert settings.database_path == Path("/var/lib/api/db.sqlite3")
    assert settings.rate_limit == "10 per second"
    assert settings.rate_limit_storage_url == "redis://:secret@redis:6379/0"
    assert (settings.max_body_bytes, settings.token_leeway_seconds) == (1024, 0)
    assert settings.jwks_cache_ttl_seconds == 60.0
    assert settings.jwks_refetch_cooldown_seconds == 2.5
    assert settings.jwks_timeout_seconds == 1.0


def test_repr__hides_storage_url():
    """A Redis password never shows in a repr."""
    settings = Settings.from_environ(
        {**REQUIRED, "API_RATE_LIMIT_STORAGE_URL": "redis://:hunter2@r:1"}
    )
    assert "hunter2" not in repr(settings)


def test_from_environ__empty__one_error_naming_every_required_variable():
    """Missing variables are all reported in one error."""
    with pytest.raises(SettingsError) as caught:
        Settings.from_environ({"API_ISSUER": "  "})
    assert caught.value.problems == [
        "API_JWKS_URL: is required",
        "API_ISSUER: is required",
        "API_AUDIENCE: is required",
    ]
    assert str(caught.value) == (
        "invalid API settings: API_JWKS_URL: is required; API_ISSUER: is required;"
        " API_AUDIENCE: is required"
    )


def test_from_environ__invalid_values__all_listed_without_secrets():
    """Every invalid value is named; the storage URL's content is not echoed."""
    environ = {
        **REQUIRED,
        "API_JWKS_URL": "ftp://auth.test/jwks",
        "API_RATE_LIMIT": "lots",
        "API_RATE_LIMIT_STORAGE_URL": "mongodb://user:topsecret@db",
        "API_MAX_BODY_BYTES": "0",
        "API_TOKEN_LEEWAY_SECONDS": "301",
        "API_JWKS_CACHE_TTL_SECONDS": "nan",
        "API_JWKS_REFETCH_COOLDOWN_SECONDS": "soon",
        "API_JWKS_TIMEOUT_SECONDS": "-1",
    }
    with pytest.raises(SettingsError) as caught:
        Settings.from_environ(environ)
    problems = caught.value.problems
    assert [p.split(": ", 1)[0] for p in problems] == [
        "API_JWKS_URL",
        "API_RATE_LIMIT",
        "API_RATE_LIMIT_STORAGE_URL",
        "API_MAX_BODY_BYTES",
        "API_TOKEN_LEEWAY_SECONDS",
        "API_JWKS_CACHE_TTL_SECONDS",
        "API_JWKS_REFETCH_COOLDOWN_SECONDS",
        "API_JWKS_TIMEOUT_SECONDS",
    ]
    assert "topsecret" not in str(caught.value)
    assert "\n" not in str(caught.value)
    assert problems[1:5] == [
        "API_RATE_LIMIT: must look like '100/minute' or '10 per second'",
        "API_RATE_LIMIT_STORAGE_URL: must be memory:// or a URL starting with redis://,"
        " redis+unix://, rediss://",
        "API_MAX_BODY_BYTES: must be greater than 0",
        "API_TOKEN_LEEWAY_SECONDS: must be at most 300",
    ]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("API_MAX_BODY_BYTES", "many"),
        ("API_TOKEN_LEEWAY_SECONDS", "some"),
        ("API_JWKS_URL", "https://"),
    ],
)
def test_from_environ__unparseable__reported(name, value):
    """Non-numeric numbers and host-less URLs are reported by name."""
    with pytest.raises(SettingsError, match=name):
        Settings.from_environ({**REQUIRED, name: value})


@pytest.mark.parametrize(
    "url",
    [
        "http://auth.example.test/.well-known/jwks.json",
        "http://10.0.0.5:8001/jwks",
        "http://localhost.evil.test/jwks",
    ],
)
def test_from_environ__plain_http_jwks_url_off_loopback__refused(url):
    """Keys fetched over plain http from another host could be swapped in transit."""
    with pytest.raises(SettingsError) as caught:
        Settings.from_environ({**REQUIRED, "API_JWKS_URL": url})
    assert caught.value.problems == [
        "API_JWKS_URL: must use https (plain http only for loopback hosts)"
    ]


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8001/jwks", "http://localhost/jwks", "http://[::1]:9/jwks"],
)
def test_from_environ__plain_http_jwks_url_on_loopback__accepted(url):
    """A token service on the same host may be reached over plain http."""
    assert Settings.from_environ({**REQUIRED, "API_JWKS_URL": url}).jwks_url == url


def test_from_environ__a_typo_of_a_known_variable__refused_with_the_closest_name():
    """A typo would otherwise leave the default in force without a word."""
    with pytest.raises(SettingsError) as caught:
        Settings.from_environ({**REQUIRED, "API_RATE_LIMT": "5/minute", "API_JWKS_URI": "x"})
    assert caught.value.problems == [
        "API_RATE_LIMT: is not a known setting (did you mean API_RATE_LIMIT?)",
        "API_JWKS_URI: is not a known setting (did you mean API_JWKS_URL?)",
    ]
    assert "5/minute" not in str(caught.value)


@pytest.mark.parametrize(
    "name", ["API_SERVICE_HOST", "API_PORT", "API_PORT_8080_TCP_ADDR", "API_KEY", "API_COLOUR"]
)
def test_from_environ__other_api_variables__ignored(name):
    """The environment is shared: a Kubernetes Service named ``api`` gives every pod
    ``API_SERVICE_HOST`` and ``API_PORT_*``; the API must still start."""
    assert Settings.from_environ({**REQUIRED, name: "10.0.0.7"}) == Settings.from_environ(REQUIRED)


def test_from_environ__other_prefixes__ignored():
    """Only API_* variables belong to the API; LOG_* and the rest are left alone."""
    settings = Settings.from_environ({**REQUIRED, "LOG_LEVEL": "debug", "APIARY": "x"})
    assert settings.rate_limit == "100/minute"


@pytest.mark.parametrize("raw", ["inf", "-inf", "nan"])
def test_from_environ__non_finite_seconds__refused(raw):
    """A JWKS cache that never expires (inf) is a misconfiguration, not a setting."""
    with pytest.raises(SettingsError) as caught:
        Settings.from_environ({**REQUIRED, "API_JWKS_CACHE_TTL_SECONDS": raw})
    assert caught.value.problems == ["API_JWKS_CACHE_TTL_SECONDS: must be a finite number"]


def test_settings__frozen():
    settings = Settings.from_environ(REQUIRED)
    with pytest.raises(ValueError, match="frozen"):
        settings.rate_limit = "1/second"
