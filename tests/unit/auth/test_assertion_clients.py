"""private_key_jwt clients: key rotation, whose jti is whose, and the size limits."""

from __future__ import annotations

import json

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from apps.auth_service.client_auth import MAX_ASSERTION_CHARS, MAX_JTI_CHARS
from tests.unit.auth.configuration import JWT_CLIENT, TOKEN_ENDPOINT, assertion_form, ec_public_jwk
from tests.utils.client_assertion import assertion_claims
from tests.utils.logging import metric_value

ROTATING_CLIENT = "svc-rotating"


def _post(client, assertion, **extra):
    return client.post("/oauth/token", data=assertion_form(assertion, **extra))


@pytest.fixture
def rotating_keys():
    """The old and the new key of a client that rotates, both registered meanwhile."""
    return {kid: ed25519.Ed25519PrivateKey.generate() for kid in ("2026-01", "2026-02")}


@pytest.fixture
def rotating_app(make_app, config_data, make_settings, rotating_keys):
    jwks = {"keys": [ec_public_jwk(key, kid=kid) for kid, key in rotating_keys.items()]}
    config_data["clients"].append(
        {
            "client_id": ROTATING_CLIENT,
            "tenant": "initech",
            "allowed_scopes": ["reports:read"],
            "auth_method": "private_key_jwt",
            "jwks": json.dumps(jwks),
        }
    )
    return make_app(settings=make_settings())


def _rotating_assertion(clock, key, headers):
    claims = assertion_claims(ROTATING_CLIENT, TOKEN_ENDPOINT, int(clock.time()))
    return jwt.encode(claims, key, algorithm="EdDSA", headers=headers)


class TestKeyRotation:
    @pytest.mark.parametrize("signer", ["2026-01", "2026-02"])
    @pytest.mark.parametrize("names_kid", [True, False], ids=["kid", "no-kid"])
    def test_token__either_registered_key_signs(
        self, rotating_app, rotating_keys, clock, signer, names_kid
    ):
        """During a rotation both keys work, with or without a ``kid`` naming the signer."""
        headers = {"kid": signer} if names_kid else None
        assertion = _rotating_assertion(clock, rotating_keys[signer], headers)
        with rotating_app.test_client() as client:
            response = _post(client, assertion)
        assert response.status_code == 200, response.get_json()

    def test_token__kid_naming_the_other_key__refused(
        self, rotating_app, rotating_keys, clock, metrics_registry
    ):
        """A ``kid`` selects the key: a signature by the other key does not verify."""
        assertion = _rotating_assertion(clock, rotating_keys["2026-02"], {"kid": "2026-01"})
        with rotating_app.test_client() as client:
            assert _post(client, assertion).status_code == 401
        failures = "auth_client_authentication_failures_total"
        assert metric_value(metrics_registry, failures, reason="bad_signature") == 1


class TestAssertionIds:
    def test_token__two_clients_may_use_the_same_jti(
        self, client, make_assertion, make_es256_assertion
    ):
        """A jti is unique per client: one client's id never burns another's."""
        first = make_assertion(jti="shared-jti")
        second = make_es256_assertion(jti="shared-jti")
        assert _post(client, first).status_code == 200
        assert _post(client, second).status_code == 200

    def test_token__one_client_fresh_jtis__each_accepted(self, client, make_assertion):
        """Only a repeated jti is a replay: a client's next assertions pass."""
        statuses = [_post(client, make_assertion(jti=f"jti-{n}")).status_code for n in range(3)]
        assert statuses == [200, 200, 200]

    def test_token__jti_of_the_maximum_length__accepted(self, client, make_assertion):
        assert _post(client, make_assertion(jti="j" * MAX_JTI_CHARS)).status_code == 200

    def test_token__issued_for_an_assertion__method_in_metric_and_audit_event(
        self, client, make_assertion, metrics_registry, events
    ):
        assert _post(client, make_assertion()).status_code == 200
        issued = [e for e in events if e["event"] == "auth.token_issued"]
        assert [(e["client_id"], e["auth_method"]) for e in issued] == [
            (JWT_CLIENT, "private_key_jwt")
        ]
        issued_total = "auth_tokens_issued_total"
        assert metric_value(metrics_registry, issued_total, auth_method="private_key_jwt") == 1


def _assertion_of_length(make_assertion, length, **claims):
    """An assertion of exactly ``length`` characters, padded with an unchecked claim."""
    shortest = len(make_assertion(pad="", jti="j" * 32, **claims))
    # base64url: every 3 bytes of JSON take 4 characters
    around = max(0, (length - shortest) * 3 // 4 - 3)
    for pad in range(around, around + 6):
        for extra in range(3):
            assertion = make_assertion(pad="p" * pad, jti="j" * (32 + extra), **claims)
            if len(assertion) == length:
                return assertion
    raise AssertionError(f"no padding gives an assertion of {length} characters")


@pytest.fixture
def throttled_app(make_app, make_settings):
    """Three failures per client and five per address a minute."""
    return make_app(
        settings=make_settings(
            throttle={"failures_per_client": "3/minute", "failures_per_address": "5/minute"}
        )
    )


class TestClaimedClient:
    def test_token__assertion_of_the_maximum_size__accepted(self, client, make_assertion):
        assertion = _assertion_of_length(make_assertion, MAX_ASSERTION_CHARS)
        assert _post(client, assertion).status_code == 200

    def test_token__failures_at_the_maximum_size__count_against_the_client(
        self, throttled_app, make_assertion
    ):
        """The throttle reads the claimed client from every assertion it would accept."""
        bad = _assertion_of_length(make_assertion, MAX_ASSERTION_CHARS, aud="https://x.test")
        with throttled_app.test_client() as client:
            statuses = [_post(client, bad).status_code for _ in range(3)]
            response = _post(client, make_assertion())
        assert statuses == [401] * 3
        assert response.status_code == 429

    def test_token__unreadable_assertion__failure_counts_against_the_named_client_id(
        self, throttled_app, make_assertion, events
    ):
        """With no readable ``iss``, the ``client_id`` parameter is the claimed client."""
        with throttled_app.test_client() as client:
            statuses = [
                _post(client, "not-a-jwt", client_id=JWT_CLIENT).status_code for _ in range(3)
            ]
            response = _post(client, make_assertion())
        assert statuses == [401] * 3
        assert response.status_code == 429
        failures = [e for e in events if e["event"] == "auth.client_authentication_failed"]
        assert [(e["reason"], e["client_id"]) for e in failures] == [
            ("malformed_assertion", JWT_CLIENT)
        ] * 3
