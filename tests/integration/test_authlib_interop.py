"""authlib, the most used Python OAuth client, gets tokens with its defaults and calls the API."""

from __future__ import annotations

import contextlib

import pytest
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc.errors import SecurityWarning
from joserfc.jwk import OKPKey

from tests.utils.keys import pem_private


def test_authlib__client_secret_basic(stack, token_endpoint, projects_url):
    basic = stack.basic_clients["it-authlib-basic"]
    with OAuth2Session(
        basic.client_id, basic.secret, token_endpoint_auth_method="client_secret_basic"
    ) as oauth:
        token = oauth.fetch_token(token_endpoint, grant_type="client_credentials")
        listed = oauth.get(projects_url)
    assert token["token_type"] == "Bearer"
    assert listed.status_code == 200, listed.text
    assert listed.json()["items"] == []


@pytest.mark.parametrize("alg", ["Ed25519", "EdDSA"])
def test_authlib__private_key_jwt_with_its_hour_long_assertions(
    stack, token_endpoint, projects_url, alg
):
    """authlib's defaults: aud = the token endpoint URL, exp = iat + 3600 s, a fresh jti."""
    client = stack.clients["it-authlib-jwt"]
    pem = pem_private(client.private_key)
    # joserfc, under authlib, warns that RFC 9864 deprecates EdDSA: clients
    # still using it keep working, and are told to move to Ed25519.
    expected_warning = (
        pytest.warns(SecurityWarning, match="RFC 9864")
        if alg == "EdDSA"
        else contextlib.nullcontext()
    )
    with OAuth2Session(
        client.client_id, OKPKey.import_key(pem), token_endpoint_auth_method="private_key_jwt"
    ) as oauth:
        # Only the algorithm is chosen: authlib's default (RS256) needs an RSA key.
        oauth.register_client_auth_method(PrivateKeyJWT(token_endpoint, alg=alg))
        with expected_warning:
            token = oauth.fetch_token(token_endpoint, grant_type="client_credentials")
        created = oauth.post(projects_url, json={"name": f"made with {alg}"})
    assert token["scope"] == "projects:read projects:write"
    assert created.status_code == 201, created.text
