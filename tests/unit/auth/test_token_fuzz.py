"""Arbitrary input to the token endpoint never causes a server error or a token."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.auth_service.client_auth import JWT_BEARER

FIELDS = st.sampled_from(
    ["grant_type", "scope", "client_id", "client_assertion", "client_assertion_type", "x"]
)
VALUES = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["client_credentials", JWT_BEARER, "a.b.c", "eyJhbGciOiJub25lIn0.e30."]),
)
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(
    form=st.dictionaries(FIELDS, VALUES, max_size=6),
    authorization=st.none() | st.text(max_size=200),
)
def test_token__random_forms_get_oauth_errors(client, form, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    try:
        response = client.post("/oauth/token", data=form, headers=headers)
    except ValueError:
        # The test client refuses header values with newlines before sending.
        return
    assert response.status_code in (400, 401)
    assert set(response.get_json()) == {"error", "error_description"}


@FUZZ
@given(
    body=st.binary(max_size=2000),
    content_type=st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "application/json",
            "multipart/form-data",
            "text/plain",
        ]
    ),
)
def test_token__random_bodies_get_oauth_errors(client, body, content_type):
    response = client.post("/oauth/token", data=body, content_type=content_type)
    assert response.status_code in (400, 401)
    assert "error" in response.get_json()
