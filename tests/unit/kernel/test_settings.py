"""The configuration idiom: pydantic models, one line per problem, names as written, no values."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import Field, ValidationError, field_validator

from apps.kernel.settings import (
    RateLimit,
    SecureBaseUrl,
    SecureHttpUrl,
    SettingsError,
    SettingsModel,
    dotted_name,
    one_line,
    problems_of,
    storage_url,
)


class Client(SettingsModel):
    name: Annotated[str, Field(min_length=1)]
    secret_hash: str = Field(repr=False)


class Example(SettingsModel):
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    ratio: Annotated[float, Field(gt=0, lt=1)] = 0.5
    debug: bool = False
    mode: str = "fast"
    jwks_url: SecureHttpUrl = "https://keys.example/jwks.json"
    issuer: SecureBaseUrl = "https://issuer.example"
    rate: RateLimit = "100/minute"
    store: Annotated[str, storage_url({"memory", "redis", "rediss"})] = "memory://"
    clients: list[Client] = Field(default_factory=list)

    @field_validator("mode")
    @classmethod
    def _known_mode(cls, value: str) -> str:
        if value not in {"fast", "safe"}:
            raise ValueError("must be fast or safe")
        return value


def problems(data, **kwargs):
    with pytest.raises(ValidationError) as info:
        Example.model_validate(data)
    return problems_of(info.value, **kwargs)


def test_problems_of__one_line_per_problem_in_our_words_never_a_value():
    found = problems(
        {
            "port": 0,
            "ratio": 1,
            "debug": "maybe",
            "mode": "slow",
            "clients": [{"name": "a", "secret_hash": "$argon2$x"}, {"name": "", "secret_hash": 3}],
            "extra_secret": "hunter2",
        }
    )
    assert found == [
        "port: must be at least 1",
        "ratio: must be less than 1.0",
        "debug: must be true or false",
        "mode: must be fast or safe",
        "clients[1].name: must not be empty",
        "clients[1].secret_hash: must be a string",
        "extra_secret: is not a known setting",
    ]
    assert "hunter2" not in " ".join(found)
    assert "maybe" not in " ".join(found)


def test_problems_of__unknown_names_get_the_closest_known_one_and_custom_names():
    found = problems(
        {"prot": 1},
        name=lambda loc: "API_" + "_".join(str(p) for p in loc).upper(),
        known=["API_PORT", "API_RATE"],
    )
    assert found == ["API_PROT: is not a known setting (did you mean API_PORT?)"]


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        (
            "jwks_url",
            "http://keys.example/jwks.json",
            "must use https (plain http only for loopback hosts)",
        ),
        ("jwks_url", "ftp://keys.example", "must be an http:// or https:// URL with a host"),
        ("jwks_url", "https://", "must be an http:// or https:// URL with a host"),
        ("issuer", "https://issuer.example/?tenant=1", "must not have a query or fragment"),
        ("issuer", "https://issuer.example/#x", "must not have a query or fragment"),
        ("rate", "lots", "must look like '100/minute' or '10 per second'"),
        ("store", "redis://", "must be memory:// or a URL starting with redis://, rediss://"),
        (
            "store",
            "memory://elsewhere",
            "must be memory:// or a URL starting with redis://, rediss://",
        ),
        ("store", "mongodb://db", "must be memory:// or a URL starting with redis://, rediss://"),
    ],
)
def test_shared_rules__refuse_with_the_reason_only(field, value, problem):
    assert problems({field: value}) == [f"{field}: {problem}"]


@pytest.mark.parametrize(
    "data",
    [
        {"jwks_url": "http://127.0.0.1:8001/jwks.json"},
        {"jwks_url": "http://localhost/jwks.json", "issuer": "http://[::1]:8001"},
        {"rate": "10 per second", "store": "redis://:pw@cache:6379/0"},
        {"store": "rediss://cache"},
    ],
)
def test_shared_rules__accept_loopback_http_rates_and_store_urls(data):
    assert Example.model_validate(data)


def test_settings_model__frozen_and_secrets_hidden():
    client = Client(name="a", secret_hash="$argon2id$v=19$secret")
    with pytest.raises(ValidationError):
        client.name = "b"  # type: ignore[misc]
    assert "secret" not in repr(client)


def test_dotted_name__toml_style_paths():
    assert dotted_name(("clients", 2, "secret_hash")) == "clients[2].secret_hash"
    assert dotted_name(()) == "(configuration)"
    assert one_line(["a: x", "b: y"]) == "a: x; b: y"


def test_problems_of__an_error_we_have_no_words_for_keeps_pydantics():
    class Odd(SettingsModel):
        when: Annotated[int, Field(multiple_of=5)] = 5

    with pytest.raises(ValidationError) as info:
        Odd.model_validate({"when": 7})
    assert problems_of(info.value) == ["when: Input should be a multiple of 5"]


class ExampleSettingsError(SettingsError):
    subject = "example settings"


def test_settings_error__one_line_naming_the_subject_and_every_problem():
    error = ExampleSettingsError(["port: must be at least 1", "mode: must be fast or safe"])
    assert str(error) == (
        "invalid example settings: port: must be at least 1; mode: must be fast or safe"
    )
    assert error.problems == ["port: must be at least 1", "mode: must be fast or safe"]
    assert isinstance(error, ValueError)


def test_settings_error__from_validation__problems_in_our_words_as_named():
    with pytest.raises(ValidationError) as info:
        Example.model_validate({"prot": 1, "debug": "maybe"})
    error = ExampleSettingsError.from_validation(
        info.value, name=lambda loc: f"EX_{str(loc[0]).upper()}", known=["EX_PORT"]
    )
    assert type(error) is ExampleSettingsError
    assert error.problems == [
        "EX_DEBUG: must be true or false",
        "EX_PROT: is not a known setting (did you mean EX_PORT?)",
    ]
    assert "maybe" not in str(error)
