"""schemathesis drives every operation of /openapi.json on the running API with a valid token.

Positive cases (valid per the schema) and negative ones (invalid on purpose)
must never produce a server error, and every response of the application must
match the schema: its status, content type, headers and body. Requests that
gunicorn refuses before the application sees them (a request line over its
limit answers 414) are only checked to be client errors. The run is bounded
(``schema_fuzz.MAX_EXAMPLES`` per operation and mode) and derandomized, so it
is the same on every run.
"""

from __future__ import annotations

import importlib.util

import pytest

SCHEMATHESIS_HINT = (
    "schemathesis is not installed: add `schemathesis>=4.32.5` to the `test`"
    " dependency group (or `pip install schemathesis`)"
)


def test_openapi__schemathesis_finds_no_server_error_or_schema_violation(stack, obtain_token):
    if importlib.util.find_spec("schemathesis") is None:
        pytest.fail(SCHEMATHESIS_HINT, pytrace=False)
    from tests.integration.schema_fuzz import fuzz_api

    headers = {"Authorization": f"Bearer {obtain_token('it-schema')}"}
    operations, failures = fuzz_api(stack.api.base_url, headers, stack.clients["it-schema"].tenant)

    assert operations >= {
        "GET /v1/projects",
        "POST /v1/projects",
        "GET /v1/projects/{project_id}",
        "PATCH /v1/projects/{project_id}",
        "DELETE /v1/projects/{project_id}",
    }
    assert not failures, "\n\n".join(failures)
