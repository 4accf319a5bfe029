"""POST /oauth/token with private_key_jwt client assertions (RFC 7523)."""

from __future__ import annotations

import base64
import json

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from apps.auth_service.client_auth import JWT_BEARER
from tests.unit.auth.configuration import (
    BASIC_CLIENT,
    ES256_CLIENT,
    ES256_KID,
    ISSUER,
    JWT_CLIENT,
    TOKEN_ENDPOINT,
    assertion_form,
    basic_auth,
)
from tests.utils.client_assertion import assertion_claims
from tests.utils.keys import pem_public
from tests.utils.logging import metric_value


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _refused(client, assertion, **extra):
    return _assert_invalid_client(
        client.post("/oauth/token", data=assertion_form(assertion, **extra))
    )


def _assert_invalid_client(response):
    """401 invalid_client, with one description whatever check failed (the reason stays private)."""
    assert response.status_code == 401, response.get_json()
    assert response.get_json() == {
        "error": "invalid_client",
        "error_description": "client authentication failed",
    }
    assert response.headers["WWW-Authenticate"] == 'Basic realm="token", error="invalid_client"'
    return response


def _invalid_request(response, description):
    assert response.status_code == 400
    assert response.get_json() == {"error": "invalid_request", "error_description": description}


def _reason(registry, reason):
    return metric_value(registry, "auth_client_authentication_failures_total", reason=reason)


def test_token__eddsa_assertion_gets_token(client, make_assertion, jwks_verifier):
    response = client.post("/oauth/token", data=assertion_form(make_assertion()))

    assert response.status_code == 200
    body = response.get_json()
    claims = jwks_verifier(body["access_token"])
    assert claims["sub"] == JWT_CLIENT
    assert claims["client_id"] == JWT_CLIENT
    assert claims["tenant"] == "globex"
    assert claims["scope"] == "reports:read"


def test_token__es256_assertion_from_jwks_gets_token(client, make_es256_assertion):
    assertion = make_es256_assertion()
    response = client.post(
        "/oauth/token",
        data=assertion_form(assertion, client_id=ES256_CLIENT, scope="reports:write"),
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["scope"] == "reports:write"


def test_token__es256_assertion_with_unknown_kid_is_refused(
    client, make_es256_assertion, metrics_registry
):
    assertion = make_es256_assertion(headers={"kid": "another-kid"})
    _refused(client, assertion)
    assert _reason(metrics_registry, "bad_signature") == 1


def test_token__tampered_signature_is_refused(client, make_assertion, metrics_registry):
    header, payload, signature = make_assertion().split(".")
    flipped = signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")
    _refused(client, f"{header}.{payload}.{flipped}")
    assert _reason(metrics_registry, "bad_signature") == 1


def test_token__tampered_payload_is_refused(client, make_assertion, clock, metrics_registry):
    header, _, signature = make_assertion().split(".")
    now = int(clock.time())
    forged = _b64(
        {"iss": JWT_CLIENT, "sub": JWT_CLIENT, "aud": TOKEN_ENDPOINT, "exp": now + 60, "jti": "x"}
    )
    _refused(client, f"{header}.{forged}.{signature}")
    assert _reason(metrics_registry, "bad_signature") == 1


def test_token__assertion_signed_by_another_key_is_refused(client, make_assertion):
    _refused(client, make_assertion(key=ed25519.Ed25519PrivateKey.generate()))


def test_token__alg_none_is_refused(client, clock, metrics_registry):
    now = int(clock.time())
    claims = {"iss": JWT_CLIENT, "sub": JWT_CLIENT, "aud": TOKEN_ENDPOINT, "exp": now + 60}
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64({**claims, 'jti': 'n'})}."
    _refused(client, unsigned)
    assert _reason(metrics_registry, "disallowed_algorithm") == 1


def test_token__hmac_keyed_with_the_public_key_is_refused(
    client, jwt_client_key, clock, metrics_registry
):
    """Algorithm confusion: HS256 with the client's public PEM as the HMAC secret."""
    import hashlib
    import hmac

    now = int(clock.time())
    claims = {"iss": JWT_CLIENT, "sub": JWT_CLIENT, "aud": TOKEN_ENDPOINT, "exp": now + 60}
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64({**claims, 'jti': 'h'})}"
    mac = hmac.new(pem_public(jwt_client_key).encode(), signing_input.encode(), hashlib.sha256)
    signature = base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()
    _refused(client, f"{signing_input}.{signature}")
    assert _reason(metrics_registry, "disallowed_algorithm") == 1


def test_token__algorithm_not_matching_the_key_type_is_refused(
    client, make_assertion, metrics_registry
):
    """An ES256 assertion for a client whose registered key is Ed25519."""
    assertion = make_assertion(key=ec.generate_private_key(ec.SECP256R1()), algorithm="ES256")
    _refused(client, assertion)
    assert _reason(metrics_registry, "bad_signature") == 1


@pytest.mark.parametrize(
    ("claims", "advance", "reason"),
    [
        ({}, 200, "expired"),
        ({"nbf": 1_767_225_600 + 120}, 0, "not_yet_valid"),
        ({"iat": 1_767_225_600 + 120, "exp": 1_767_225_600 + 180}, 0, "not_yet_valid"),
        ({"iat": None, "exp": 1_767_225_600 + 3600}, 0, "lifetime_too_long"),
        # However long it says it lives, an assertion is only accepted while young.
        ({"exp": 1_767_225_600 + 3600}, 300 + 30 + 1, "too_old"),
        ({"iat": 1_767_225_600 - 400, "exp": 1_767_225_600 + 60}, 0, "too_old"),
        ({"aud": "https://evil.example.test/oauth/token"}, 0, "wrong_audience"),
        ({"aud": ["https://evil.example.test"]}, 0, "wrong_audience"),
        # RFC 7523bis: one string, never an array, not even one naming this server
        ({"aud": ["https://evil.example.test", TOKEN_ENDPOINT]}, 0, "wrong_audience"),
        ({"aud": [TOKEN_ENDPOINT, "https://evil.example.test"]}, 0, "wrong_audience"),
        ({"aud": [TOKEN_ENDPOINT]}, 0, "wrong_audience"),
        ({"aud": [ISSUER]}, 0, "wrong_audience"),
        ({"aud": TOKEN_ENDPOINT + "/"}, 0, "wrong_audience"),
        ({"aud": None}, 0, "wrong_audience"),
        ({"aud": 7}, 0, "wrong_audience"),
        ({"iss": "svc-other"}, 0, "issuer_subject_mismatch"),
        ({"iss": 12, "sub": 12}, 0, "issuer_subject_mismatch"),
        ({"jti": None}, 0, "missing_jti"),
        ({"jti": ""}, 0, "missing_jti"),
        ({"jti": 42}, 0, "missing_jti"),
        ({"jti": "j" * 300}, 0, "missing_jti"),
        ({"exp": None}, 0, "malformed_assertion"),
        ({"exp": "tomorrow"}, 0, "malformed_assertion"),
        ({"nbf": True}, 0, "malformed_assertion"),
        ({"exp": float("nan")}, 0, "malformed_assertion"),
        ({"iat": float("nan")}, 0, "malformed_assertion"),
        ({"exp": float("inf")}, 0, "malformed_assertion"),
    ],
)
def test_token__invalid_assertion_claims_are_refused(
    client, make_assertion, clock, metrics_registry, claims, advance, reason
):
    assertion = make_assertion(**claims)
    clock.advance(advance)
    _refused(client, assertion)
    assert _reason(metrics_registry, reason) == 1


@pytest.mark.parametrize("audience", [TOKEN_ENDPOINT, ISSUER])
def test_token__audience_is_the_token_endpoint_or_the_issuer(client, make_assertion, audience):
    """Either single string names this server; RFC 7523bis prefers the issuer."""
    response = client.post("/oauth/token", data=assertion_form(make_assertion(aud=audience)))
    assert response.status_code == 200, response.get_json()


def test_token__assertion_within_leeway_is_accepted(client, make_assertion, clock):
    assertion = make_assertion()
    clock.advance(60 + 29)
    response = client.post("/oauth/token", data=assertion_form(assertion))
    assert response.status_code == 200


def test_token__wrong_issuer_unknown_client_is_refused(client, make_assertion, metrics_registry):
    _refused(client, make_assertion(iss="svc-unknown", sub="svc-unknown"))
    assert _reason(metrics_registry, "unknown_client") == 1


def test_token__assertion_for_basic_client_is_refused(client, make_assertion, metrics_registry):
    _refused(client, make_assertion(iss=BASIC_CLIENT, sub=BASIC_CLIENT))
    assert _reason(metrics_registry, "wrong_auth_method") == 1


def test_token__replayed_jti_is_refused(client, make_assertion, metrics_registry, events):
    assertion = make_assertion(jti="once-only")
    assert client.post("/oauth/token", data=assertion_form(assertion)).status_code == 200

    _refused(client, assertion)
    _refused(client, make_assertion(jti="once-only"))

    assert metric_value(metrics_registry, "auth_replay_detected_total") == 2
    replays = [e for e in events if e["event"] == "auth.replay_detected"]
    assert [e["client_id"] for e in replays] == [JWT_CLIENT, JWT_CLIENT]
    assert not any(assertion in repr(e) for e in events)


def test_token__jti_is_accepted_again_after_its_assertion_expired(client, make_assertion, clock):
    first = make_assertion(jti="reusable")
    assert client.post("/oauth/token", data=assertion_form(first)).status_code == 200
    clock.advance(60 + 30 + 2)
    second = make_assertion(jti="reusable")
    assert client.post("/oauth/token", data=assertion_form(second)).status_code == 200


def test_token__refused_assertion_does_not_burn_its_jti(client, make_assertion):
    _refused(client, make_assertion(jti="keep", aud="https://wrong.example.test"))
    response = client.post("/oauth/token", data=assertion_form(make_assertion(jti="keep")))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "assertion",
    ["", "not-a-jwt", "a.b.c", "x" * 9000, "eyJhbGciOiJFZERTQSJ9.W10.c2ln"],
)
def test_token__garbage_assertion_is_refused(client, assertion, metrics_registry):
    _refused(client, assertion)
    assert _reason(metrics_registry, "malformed_assertion") == 1


def test_token__wrong_assertion_type_is_invalid_request(client, make_assertion):
    form = assertion_form(make_assertion())
    form["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"
    response = client.post("/oauth/token", data=form)
    _invalid_request(response, f"client_assertion_type must be {JWT_BEARER}")


def test_token__assertion_without_its_type_is_invalid_request(client, make_assertion):
    form = assertion_form(make_assertion())
    del form["client_assertion_type"]
    response = client.post("/oauth/token", data=form)
    _invalid_request(response, f"client_assertion_type must be {JWT_BEARER}")


def test_token__assertion_type_without_assertion_is_invalid_client(client, metrics_registry):
    form = assertion_form("")
    del form["client_assertion"]
    _assert_invalid_client(client.post("/oauth/token", data=form))
    assert _reason(metrics_registry, "malformed_assertion") == 1


@pytest.mark.parametrize("half", ["client_assertion", "client_assertion_type"])
def test_token__basic_plus_half_an_assertion_is_two_methods(client, make_assertion, half):
    """Either assertion parameter next to HTTP Basic is a second authentication method."""
    form = {"grant_type": "client_credentials", half: make_assertion()}
    response = client.post("/oauth/token", data=form, headers=basic_auth(BASIC_CLIENT, "x"))
    _invalid_request(response, "use exactly one client authentication method")


def test_token__body_client_id_must_match_assertion(client, make_assertion):
    response = client.post(
        "/oauth/token", data=assertion_form(make_assertion(), client_id=ES256_CLIENT)
    )
    _invalid_request(response, "client_id does not match the client assertion")


def test_token__two_authentication_methods_are_invalid_request(client, make_assertion):
    response = client.post(
        "/oauth/token",
        data=assertion_form(make_assertion()),
        headers=basic_auth(BASIC_CLIENT, "x"),
    )
    _invalid_request(response, "use exactly one client authentication method")


def test_token__assertion_signed_with_hs256_library_call_is_refused(client, clock):
    now = int(clock.time())
    token = jwt.encode(
        {"iss": JWT_CLIENT, "sub": JWT_CLIENT, "aud": TOKEN_ENDPOINT, "exp": now + 60, "jti": "a"},
        "a-shared-secret-of-at-least-32-bytes!!",
        algorithm="HS256",
    )
    _refused(client, token)


def test_token__jti_of_one_client_cannot_burn_another_clients_jti(
    make_app, config_data, make_settings, clock
):
    """Client "a" with jti "b:X" and client "a:b" with jti "X" are different assertions."""
    keys = {name: ed25519.Ed25519PrivateKey.generate() for name in ("a", "a:b")}
    config_data["clients"] += [
        {
            "client_id": name,
            "tenant": "colliding",
            "allowed_scopes": ["reports:read"],
            "auth_method": "private_key_jwt",
            "public_key_pem": pem_public(key),
        }
        for name, key in keys.items()
    ]
    app = make_app(settings=make_settings())

    def assertion(client_id, jti):
        now = int(clock.time())
        claims = {"iss": client_id, "sub": client_id, "aud": TOKEN_ENDPOINT,
                  "iat": now, "exp": now + 60, "jti": jti}  # fmt: skip
        return jwt.encode(claims, keys[client_id], algorithm="EdDSA")

    with app.test_client() as client:
        first = client.post("/oauth/token", data=assertion_form(assertion("a", "b:X")))
        second = client.post("/oauth/token", data=assertion_form(assertion("a:b", "X")))
    assert first.status_code == 200, first.get_json()
    assert second.status_code == 200, second.get_json()


def _forge(header, claims, key):
    """A JWS signed with ``key`` whatever ``header["alg"]`` says (PyJWT lacks RFC 9864 names)."""
    signing_input = f"{_b64(header)}.{_b64(claims)}"
    signature = base64.urlsafe_b64encode(key.sign(signing_input.encode())).rstrip(b"=").decode()
    return f"{signing_input}.{signature}"


def _claims(clock, **extra):
    return {**assertion_claims(JWT_CLIENT, TOKEN_ENDPOINT, int(clock.time())), **extra}


def test_token__ed25519_algorithm_identifier_is_accepted(client, clock, jwt_client_key):
    """RFC 9864's fully specified name for what EdDSA names polymorphically."""
    assertion = _forge({"alg": "Ed25519", "typ": "JWT"}, _claims(clock), jwt_client_key)
    response = client.post("/oauth/token", data=assertion_form(assertion))
    assert response.status_code == 200, response.get_json()


def test_token__ed25519_identifier_with_a_bad_signature_is_refused(client, clock, metrics_registry):
    other = ed25519.Ed25519PrivateKey.generate()
    _refused(client, _forge({"alg": "Ed25519"}, _claims(clock), other))
    assert _reason(metrics_registry, "bad_signature") == 1


def test_token__ed25519_identifier_for_an_es256_client_is_refused(
    client, clock, es256_client_key, metrics_registry
):
    claims = _claims(clock, iss=ES256_CLIENT, sub=ES256_CLIENT)
    forged = _forge(
        {"alg": "Ed25519", "kid": ES256_KID}, claims, ed25519.Ed25519PrivateKey.generate()
    )
    _refused(client, forged)
    assert _reason(metrics_registry, "bad_signature") == 1


def test_token__authlib_style_hour_long_assertion_is_accepted_when_fresh(
    client, make_assertion, clock
):
    """authlib signs assertions valid for 3600 s by default; used at once, they are fine."""
    assertion = make_assertion(exp=int(clock.time()) + 3600)
    clock.advance(5)
    response = client.post("/oauth/token", data=assertion_form(assertion))
    assert response.status_code == 200, response.get_json()
