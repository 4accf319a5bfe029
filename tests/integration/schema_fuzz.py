"""Fuzzing the API's OpenAPI description with schemathesis (see ``test_openapi_fuzz``).

Kept apart from the test module so that a missing schemathesis fails that one
test with what to install, instead of breaking the collection of the layer.
"""

from __future__ import annotations

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase, given
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

MAX_EXAMPLES = 30
TENANT_HEADER = "X-Tenant-ID"
#: Every response of the application carries it (logging_lib echoes or makes one).
REQUEST_ID_HEADER = "x-request-id"  # schemathesis lowercases header names
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def has_inputs(operation):
    definition = operation.definition.raw
    return bool(definition.get("parameters") or definition.get("requestBody"))


def run_operation(operation, mode, base_url, headers, tenant):
    """Run one operation's generated cases; return the failure messages."""
    failures = []

    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        if mode is GenerationMode.POSITIVE and case.headers and TENANT_HEADER in case.headers:
            # The only valid value is the token's tenant, which no schema can say;
            # any other value is refused with 403 before the operation runs.
            case.headers[TENANT_HEADER] = tenant
        response = case.call(base_url=base_url, headers=headers)
        if REQUEST_ID_HEADER not in response.headers:
            # gunicorn refused the request itself (an over-long request line or
            # header) before the API saw it: a client error, outside the schema.
            if not 400 <= response.status_code < 500:
                failures.append(f"{operation.label}: server-level {response.status_code}")
            return
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as exc:
            failures.append(f"{operation.label} [{mode.value}]: {exc}")

    run()
    return failures


def fuzz_api(base_url, headers, tenant):
    """Fuzz every operation; return (operation labels, failure messages)."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", timeout=10)
    operations = [result.ok() for result in schema.get_all_operations()]
    failures = []
    for operation in operations:
        modes = [GenerationMode.POSITIVE]
        if has_inputs(operation):  # with nothing to send there is nothing to make invalid
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:
            failures += run_operation(operation, mode, base_url, headers, tenant)
    return {operation.label for operation in operations}, failures
