import pytest

from logging_lib.redaction import REDACTED, Redactor, redact_text

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"


@pytest.fixture
def redact():
    redactor = Redactor()
    return lambda event: redactor(None, "info", event)


class TestSecretKeys:
    @pytest.mark.parametrize(
        "key",
        [
            "authorization",
            "Cookie",
            "Set-Cookie",
            "PASSWORD",
            "secret",
            "client_secret",
            "token",
            "access_token",
            "api_key",
            "API-Key",
            "db_password",
            "csrf_token",
        ],
    )
    def test_redactor__hides_secret_keys_in_any_case(self, redact, key):
        assert redact({"event": "e", key: "s3cr3t"})[key] == REDACTED

    @pytest.mark.parametrize("key", ["token_type", "password_policy", "user", "tokens_left"])
    def test_redactor__keeps_ordinary_keys(self, redact, key):
        assert redact({key: "visible"})[key] == "visible"

    def test_redactor__hides_secrets_nested_in_dicts_and_lists(self, redact):
        event = {
            "request": {"headers": {"Authorization": "Basic abc", "Accept": "json"}},
            "attempts": [{"password": "p1"}, ("x", {"api_key": "k"})],
        }
        assert redact(event) == {
            "request": {"headers": {"Authorization": REDACTED, "Accept": "json"}},
            "attempts": [{"password": REDACTED}, ["x", {"api_key": REDACTED}]],
        }

    def test_redactor__extra_keys_are_secrets_too(self):
        redactor = Redactor(extra_keys=["X-Tenant-Key"])
        assert redactor(None, "info", {"x_tenant_key": "k"}) == {"x_tenant_key": REDACTED}

    def test_redactor__still_judges_keys_once_its_memory_is_full(self):
        redactor = Redactor()
        many = {f"field_{i}": i for i in range(5000)}
        redactor(None, "info", many)
        event = redactor(None, "info", {"late_password": "p", "field_4999": 1})
        assert event == {"late_password": REDACTED, "field_4999": 1}

    def test_redactor__non_string_keys_are_left_alone(self, redact):
        assert redact({1: "one"}) == {1: "one"}

    def test_redactor__very_deep_nesting_is_cut_off(self, redact):
        deep = {"leaf": "value"}
        for _ in range(30):
            deep = {"next": deep, "n": 1}
        redacted = redact({"deep": deep})
        node, depth = redacted["deep"], 0
        while isinstance(node, dict):
            node, depth = node["next"], depth + 1
        assert node == REDACTED
        assert depth < 30


class TestSecretText:
    def test_redact_text__hides_bearer_credentials(self):
        assert (
            redact_text("header was Bearer abc.DEF-123_x== ok")
            == f"header was Bearer {REDACTED} ok"
        )

    def test_redact_text__hides_basic_credentials_case_insensitively(self):
        assert redact_text("basic dXNlcjpwYXNz") == f"basic {REDACTED}"

    def test_redact_text__hides_jwt_shaped_strings(self):
        assert redact_text(f"token={JWT}; next") == f"token={REDACTED}; next"

    def test_redactor__scrubs_messages_and_values(self, redact):
        event = redact({"event": f"got {JWT}", "detail": ["Bearer xyz-1234"]})
        assert event == {"event": f"got {REDACTED}", "detail": [f"Bearer {REDACTED}"]}

    def test_redact_text__leaves_ordinary_text(self):
        assert redact_text("the bearer of bad news eyJ") == "the bearer of bad news eyJ"
