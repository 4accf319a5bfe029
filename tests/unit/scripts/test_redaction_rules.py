"""ci-metrics redacts a failure's message by the log redaction's rules, written twice.

ci-metrics installs alone and never imports logging_lib, so it keeps its own
copy of the rules (``ci_metrics.inputs.redaction``); this test keeps the two
copies the same.
"""

import pytest

from ci_metrics.inputs import redaction as failures
from logging_lib import redaction as logs


def test_redaction__both_copies_hide_the_same_keys():
    assert failures.SECRET_KEYS == logs.DEFAULT_SECRET_KEYS
    assert failures.SECRET_SUFFIXES == logs._SECRET_SUFFIXES


def test_redaction__both_copies_find_credentials_in_text_alike():
    assert failures.SCHEME_CREDENTIAL.pattern == logs._SCHEME_CREDENTIAL.pattern
    assert failures.SCHEME_CREDENTIAL.flags == logs._SCHEME_CREDENTIAL.flags
    assert failures.JWT.pattern == logs._JWT.pattern
    assert failures.REDACTED == logs.REDACTED


@pytest.mark.parametrize(
    "text",
    [
        "call failed: Bearer abcdefgh12345678 rejected",
        "token eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln was refused",
        "the bearer of bad news",
    ],
)
def test_redaction__free_text_comes_out_the_same(text):
    assert failures.redact_text(text) == logs.redact_text(text)


@pytest.mark.parametrize(
    "key", ["password", "Client-Secret", "db_password", "csrf_token", "token_type", "user"]
)
def test_redaction__a_key_is_secret_in_both_or_in_neither(key):
    assert failures.is_secret_key(key) == logs.Redactor().is_secret_key(key)
