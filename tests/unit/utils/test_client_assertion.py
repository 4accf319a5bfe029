from tests.utils.client_assertion import assertion_claims


def test_assertion_claims__the_client_twice_the_endpoint_its_lifetime_and_a_fresh_jti():
    first = assertion_claims("svc", "https://auth/oauth/token", 1_000, lifetime=120)
    second = assertion_claims("svc", "https://auth/oauth/token", 1_000, lifetime=120)
    assert {k: v for k, v in first.items() if k != "jti"} == {
        "iss": "svc",
        "sub": "svc",
        "aud": "https://auth/oauth/token",
        "iat": 1_000,
        "exp": 1_120,
    }
    assert first["jti"] != second["jti"]
    assert assertion_claims("svc", "a", 0)["exp"] == 60
