"""JWKs and JWS: the one parser, the key -> algorithm binding, RFC 7638 thumbprints."""

from __future__ import annotations

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519

from apps.kernel.jose import ED25519, EDDSA, Ed25519Algorithm, jws_codec
from apps.kernel.jwk import (
    ES256,
    JwkError,
    algorithm_allowed,
    key_algorithm,
    parse_public_jwk,
    public_jwk,
    thumbprint,
)


def test_thumbprint__matches_rfc8037_example():
    """RFC 8037 appendix A.3: the Ed25519 example key's thumbprint (extra members ignored)."""
    jwk = {"crv": "Ed25519", "kty": "OKP", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert thumbprint(jwk) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    assert thumbprint({**jwk, "kid": "k1", "use": "sig"}) == thumbprint(jwk)


def test_thumbprint__other_key_kinds_are_refused_not_guessed_at():
    with pytest.raises(JwkError, match="thumbprint"):
        thumbprint({"kty": "RSA", "n": "0vx7", "e": "AQAB"})
    with pytest.raises(JwkError, match="thumbprint"):
        thumbprint({"crv": "P-256", "x": "a"})


@pytest.mark.parametrize(
    ("key", "family"),
    [
        (ed25519.Ed25519PrivateKey.generate(), EDDSA),
        (ec.generate_private_key(ec.SECP256R1()), ES256),
    ],
    ids=["ed25519", "p256"],
)
def test_public_jwk__round_trips_through_the_parser(key, family):
    jwk = public_jwk(key)
    assert "d" not in jwk
    parsed = parse_public_jwk({**jwk, "kid": "k1", "use": "sig"})
    assert (parsed.algorithm, parsed.kid) == (family, "k1")
    assert key_algorithm(parsed.key) == key_algorithm(key) == family
    assert public_jwk(parsed.key) == jwk


@pytest.mark.parametrize(
    ("scalar", "jwk"),
    [
        (
            379,
            {
                "crv": "P-256",
                "kty": "EC",
                "x": "AFVDiUrz0A7X10Cr29dclrBod7eH219w7qeLkKjXwAo",
                "y": "u0yFo9jqKe-q-iRAaRLdhNWxTcMr9lbvbGvVil2UP5I",
            },
        ),
        (
            43,
            {
                "crv": "P-256",
                "kty": "EC",
                "x": "mGriUG8f8QTQQjCGHY9LSY9LxMbQCbMPdUTcEpuC0o0",
                "y": "ADzMwKZGDgrjKKTZfTx7YdhvxiicGJ8lJREMRBuwfpc",
            },
        ),
    ],
    ids=["x-leading-zero", "y-leading-zero"],
)
def test_public_jwk__p256_coordinates_keep_their_full_width(scalar, jwk):
    """RFC 7518 6.2.1.2: each coordinate is 32 bytes, a leading zero byte included."""
    key = ec.derive_private_key(scalar, ec.SECP256R1())
    assert public_jwk(key) == public_jwk(key.public_key()) == jwk
    assert public_jwk(parse_public_jwk(jwk).key) == jwk


def test_thumbprint__of_a_p256_key_hashes_crv_kty_x_y_in_that_order():
    jwk = public_jwk(ec.derive_private_key(379, ec.SECP256R1()))
    assert thumbprint({"y": jwk["y"], "x": jwk["x"], "kty": "EC", "crv": "P-256", "kid": "k"}) == (
        "7Yxe6c_3bAa6kiaK1G-BZmi9EeNsUmlcbdnrtLeuK4E"
    )


def test_keys_of_other_kinds_have_no_algorithm_and_no_jwk_here():
    p384 = ec.generate_private_key(ec.SECP384R1())
    assert key_algorithm(p384) is None
    assert key_algorithm("not a key") is None
    with pytest.raises(JwkError, match="only Ed25519"):
        public_jwk(p384)


@pytest.mark.parametrize(
    ("family", "header", "allowed"),
    [
        (EDDSA, ED25519, True),
        (EDDSA, EDDSA, True),
        (EDDSA, ES256, False),
        (ES256, ES256, True),
        (ES256, EDDSA, False),
        (ES256, None, False),
    ],
)
def test_algorithm_allowed__a_key_verifies_only_its_own_algorithms(family, header, allowed):
    assert algorithm_allowed(family, header) is allowed


def test_jwk_verifies__binds_the_header_algorithm_to_the_key():
    parsed = parse_public_jwk(public_jwk(ed25519.Ed25519PrivateKey.generate()))
    assert parsed.verifies(ED25519)
    assert parsed.verifies(EDDSA)
    assert not parsed.verifies("HS256")


ED_JWK = public_jwk(ed25519.Ed25519PrivateKey.generate())


@pytest.mark.parametrize(
    ("jwk", "message"),
    [
        ("not an object", "each key must be an object"),
        ({**ED_JWK, "d": "c2VjcmV0"}, "each key must be public (it has private members)"),
        ({"kty": "oct", "k": "c2VjcmV0"}, "each key must be public (it has private members)"),
        ({"kty": "RSA", "n": "0vx7", "e": "AQAB"}, "each key must be Ed25519 (OKP) or P-256 (EC)"),
        ({**ED_JWK, "kid": 7}, "kid must be a string"),
        ({**ED_JWK, "use": "enc"}, 'each key must be a signing key (use "sig")'),
        (
            {**ED_JWK, "alg": "ES256"},
            "alg does not fit the key: a Ed25519 (alg Ed25519 or EdDSA) key",
        ),
        ({**ED_JWK, "x": "!!"}, "a key is malformed"),
    ],
    ids=["type", "private", "symmetric", "rsa", "kid", "use", "alg", "malformed"],
)
def test_parse_public_jwk__refuses_with_the_reason_never_the_key(jwk, message):
    with pytest.raises(JwkError) as info:
        parse_public_jwk(jwk)
    assert str(info.value) == message
    assert "c2VjcmV0" not in str(info.value)


def test_parse_public_jwk__a_published_private_member_can_be_dropped():
    p256 = ec.generate_private_key(ec.SECP256R1())
    jwk = {**public_jwk(p256), "d": "c2VjcmV0", "alg": "ES256"}
    parsed = parse_public_jwk(jwk, drop_private_members=True)
    assert (parsed.algorithm, public_jwk(parsed.key)) == (ES256, public_jwk(p256))
    with pytest.raises(JwkError, match="alg does not fit the key: a P-256 \\(alg ES256\\) key"):
        parse_public_jwk({**public_jwk(p256), "alg": "EdDSA"})


def test_jws_codec__verifies_the_rfc9864_name_and_the_deprecated_one():
    key = ed25519.Ed25519PrivateKey.generate()
    before = set(jwt.PyJWS().get_algorithms())
    codec = jws_codec()
    for alg in (ED25519, EDDSA):
        token = codec.encode(b"payload", key, algorithm=alg)
        assert jwt.get_unverified_header(token)["alg"] == alg
        assert codec.decode(token, key.public_key(), algorithms=[alg]) == b"payload"
    assert set(jwt.PyJWS().get_algorithms()) == before  # nothing global changed


def test_ed25519_algorithm__refuses_an_ed448_key():
    with pytest.raises(jwt.InvalidKeyError) as info:
        Ed25519Algorithm().prepare_key(ed448.Ed448PrivateKey.generate())
    assert str(info.value) == "the Ed25519 algorithm needs an Ed25519 key"
