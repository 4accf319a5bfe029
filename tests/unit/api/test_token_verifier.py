"""JwtAccessTokenVerifier: what an access token must be to be accepted."""

from __future__ import annotations

import hashlib
import hmac

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from apps.api.access_tokens import InvalidToken, JwtAccessTokenVerifier, Principal
from apps.api.jwks import StaticKeySet
from tests.unit.api.tokens import (
    AUDIENCE,
    ISSUER,
    TOKEN_LIFETIME,
    SigningKey,
    TokenFactory,
    forge_token,
)
from tests.utils.clock import FakeClock


@pytest.fixture
def verifier(key_source, clock):
    return JwtAccessTokenVerifier(
        key_source, issuer=ISSUER, audience=AUDIENCE, clock=clock.time, leeway=30
    )


def rejection(verifier, token) -> InvalidToken:
    with pytest.raises(InvalidToken) as caught:
        verifier.verify(token)
    return caught.value


def assert_rejected(verifier, token, reason: str, description: str) -> None:
    """Refused with this reason (logged, counted) and this description (sent to the caller)."""
    error = rejection(verifier, token)
    assert (error.reason, error.description, str(error)) == (reason, description, description)


MALFORMED = "the token is not a well-formed JWT"
NOT_ACCEPTED_ALGORITHM = "the token's signing algorithm is not accepted"


class TestAccepted:
    def test_verify__valid_eddsa_token__returns_principal(self, verifier, acme):
        """A well-formed EdDSA token yields the caller's tenant, client and scopes."""
        principal = verifier.verify(acme.token("projects:read  projects:write"))
        assert principal == Principal(
            subject="acme-ci",
            client_id="acme-ci",
            tenant="acme",
            scopes=frozenset({"projects:read", "projects:write"}),
            token_id=principal.token_id,
        )
        assert len(principal.token_id) == 32

    def test_verify__valid_es256_token__accepted(self, verifier, token_factory, ec_signing_key):
        """ES256 tokens signed with a P-256 key from the key set are accepted."""
        token = token_factory.token("acme", "acme-ci", key=ec_signing_key)
        assert verifier.verify(token).tenant == "acme"

    def test_verify__audience_list_containing_api__accepted(self, verifier, acme):
        """An ``aud`` array that includes this API is accepted."""
        token = acme.token(aud=["other-api", AUDIENCE])
        assert verifier.verify(token).client_id == "acme-ci"

    def test_verify__expired_within_leeway__accepted(self, verifier, acme, clock):
        """A token expired less than the leeway ago still passes (clock skew)."""
        token = acme.token()
        clock.advance(TOKEN_LIFETIME + 29)
        assert verifier.verify(token).tenant == "acme"

    @pytest.mark.parametrize("claim", ["nbf", "iat"])
    def test_verify__starts_exactly_one_leeway_ahead__accepted(self, verifier, acme, clock, claim):
        """``nbf``/``iat`` up to the leeway (30 s) in the future pass; one second more does not."""
        assert verifier.verify(acme.token(**{claim: int(clock.time()) + 30})).tenant == "acme"
        assert rejection(verifier, acme.token(**{claim: int(clock.time()) + 31})).reason == (
            "not_yet_valid"
        )

    @pytest.mark.parametrize(
        "start", [946_684_800.0, 4_102_444_800.0], ids=["year-2000", "year-2100"]
    )
    def test_verify__times_judged_by_the_injected_clock_not_the_wall_clock(
        self, key_source, signing_key, start
    ):
        """A token valid at the injected clock's time is accepted, however far the wall clock is."""
        clock = FakeClock(start=start)
        verifier = JwtAccessTokenVerifier(
            key_source, issuer=ISSUER, audience=AUDIENCE, clock=clock.time, leeway=30
        )
        token = TokenFactory(signing_key, clock).token("acme", "acme-ci")
        assert verifier.verify(token).tenant == "acme"

    def test_verify__typ_with_media_type_prefix__accepted(self, verifier, acme):
        """``application/at+jwt`` is the long form of ``at+jwt``."""
        token = acme.token(headers={"typ": "application/at+jwt"})
        assert verifier.verify(token).tenant == "acme"

    def test_ready__follows_key_source(self, verifier, clock):
        """The verifier is ready exactly when its key source has keys."""
        empty = JwtAccessTokenVerifier(
            StaticKeySet([]), issuer=ISSUER, audience=AUDIENCE, clock=clock.time, leeway=30
        )
        assert verifier.ready() is True
        assert empty.ready() is False


class TestRejected:
    def test_verify__expired__rejected(self, verifier, acme, clock):
        """A token past ``exp`` plus leeway is refused as expired."""
        token = acme.token()
        clock.advance(TOKEN_LIFETIME + 30)
        assert_rejected(verifier, token, "expired", "the token has expired")

    def test_verify__not_yet_valid__rejected(self, verifier, acme, clock):
        """``nbf`` beyond now plus leeway is refused."""
        token = acme.token(nbf=int(clock.time()) + 31)
        assert_rejected(verifier, token, "not_yet_valid", "the token is not valid yet")

    def test_verify__issued_in_future__rejected(self, verifier, acme, clock):
        """``iat`` beyond now plus leeway is refused."""
        token = acme.token(iat=int(clock.time()) + 31)
        assert_rejected(verifier, token, "not_yet_valid", "the token was issued in the future")

    def test_verify__wrong_audience__rejected(self, verifier, acme):
        """A token for another API is refused."""
        token = acme.token(aud="billing-api")
        assert_rejected(verifier, token, "audience", "the token is not meant for this API")

    def test_verify__wrong_issuer__rejected(self, verifier, acme):
        """A token from another issuer is refused."""
        token = acme.token(iss="https://evil.test")
        assert_rejected(verifier, token, "issuer", "the token was issued by an untrusted issuer")

    def test_verify__unsigned_alg_none__rejected(self, verifier, token_factory, signing_key):
        """``alg: none`` tokens are refused before any key lookup."""
        claims = token_factory.claims("acme", "acme-ci")
        token = jwt.encode(
            claims, None, algorithm="none", headers={"typ": "at+jwt", "kid": signing_key.kid}
        )
        assert_rejected(verifier, token, "algorithm", NOT_ACCEPTED_ALGORITHM)

    @pytest.mark.parametrize("encoding", ["pem", "raw"])
    def test_verify__hmac_keyed_with_public_key__rejected(
        self, verifier, token_factory, signing_key, encoding
    ):
        """HS256 signed with the public key's bytes (algorithm confusion) is refused."""
        public = signing_key.private_key.public_key()
        if encoding == "pem":
            secret = public.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        else:
            secret = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        claims = token_factory.claims("acme", "acme-ci")
        token = _sign_hs256(claims, secret, signing_key.kid)
        assert_rejected(verifier, token, "algorithm", NOT_ACCEPTED_ALGORITHM)

    def test_verify__signature_from_other_key__rejected(self, verifier, token_factory, signing_key):
        """A token naming a trusted kid but signed by another key is refused."""
        impostor = SigningKey.ed25519()
        token = token_factory.token(
            "acme", "acme-ci", key=impostor, headers={"kid": signing_key.kid}
        )
        assert_rejected(verifier, token, "signature", "the token signature is invalid")

    def test_verify__unknown_kid__rejected(self, verifier, token_factory):
        """A key id the key set does not know is refused."""
        token = token_factory.token("acme", "acme-ci", key=SigningKey.ed25519())
        assert_rejected(verifier, token, "unknown_key", "the token was signed with an unknown key")

    def test_verify__algorithm_not_bound_to_key__rejected(
        self, verifier, token_factory, signing_key, ec_signing_key
    ):
        """An ES256 token naming the Ed25519 key's kid is refused."""
        token = token_factory.token(
            "acme", "acme-ci", key=ec_signing_key, headers={"kid": signing_key.kid}
        )
        assert_rejected(
            verifier, token, "algorithm", "the token's algorithm does not match its key"
        )

    @pytest.mark.parametrize("typ", [None, "JWT", 7])
    def test_verify__not_an_access_token_type__rejected(self, verifier, acme, typ):
        """The header ``typ`` must say at+jwt (RFC 9068), not JWT or nothing."""
        token = acme.token(headers={"typ": typ})
        assert_rejected(verifier, token, "type", "the token is not an access token (typ at+jwt)")

    @pytest.mark.parametrize(
        ("kid", "reason", "description"),
        [
            (None, "kid", "the token has no key id"),
            ("", "kid", "the token has no key id"),
            (5, "malformed", MALFORMED),
        ],
    )
    def test_verify__missing_kid__rejected(
        self, verifier, token_factory, signing_key, kid, reason, description
    ):
        """Without a usable ``kid`` there is no key to verify with."""
        header = {"alg": "EdDSA", "typ": "at+jwt"} | ({} if kid is None else {"kid": kid})
        claims = token_factory.claims("acme", "acme-ci")
        token = forge_token(header, claims, signing_key.private_key.sign)
        assert_rejected(verifier, token, reason, description)

    @pytest.mark.parametrize(
        ("token", "reason", "description"),
        [
            ("", "malformed", MALFORMED),
            ("not-a-jwt", "malformed", MALFORMED),
            ("a.b.c", "malformed", MALFORMED),
            # a header without "alg", then no signature segment
            ("eyJhbGciOiJFZERTQSJ9.e30", "malformed", MALFORMED),
            ("eyJ0eXAiOiJhdCtqd3QifQ.e30.c2ln", "algorithm", NOT_ACCEPTED_ALGORITHM),
        ],
    )
    def test_verify__malformed__rejected(self, verifier, token, reason, description):
        """Garbage is refused as malformed, never as a crash."""
        assert_rejected(verifier, token, reason, description)

    def test_verify__undecodable_payload__rejected(self, verifier, acme):
        """A valid header followed by a corrupt payload is refused."""
        header, _, signature = acme.token().split(".")
        assert_rejected(verifier, f"{header}.!!!.{signature}", "malformed", MALFORMED)

    @pytest.mark.parametrize("segment", ["payload", "signature"])
    def test_verify__segment_of_impossible_base64_length__rejected(self, verifier, acme, segment):
        """Five base64url letters decode to no whole bytes: malformed, not a bad signature."""
        header, payload, signature = acme.token().split(".")
        if segment == "payload":
            payload = "AAAAA"
        else:
            signature = "AAAAA"
        assert_rejected(verifier, f"{header}.{payload}.{signature}", "malformed", MALFORMED)

    def test_verify__detached_unencoded_payload__rejected(self, verifier, signing_key):
        """A JWS declaring an unencoded, detached payload (RFC 7797) carries no claims."""
        token = jwt.api_jws.encode(
            b"{}",
            signing_key.private_key,
            algorithm="EdDSA",
            headers={"typ": "at+jwt", "kid": signing_key.kid, "b64": False, "crit": ["b64"]},
            is_payload_detached=True,
        )
        assert token.split(".")[1] == ""
        assert_rejected(verifier, token, "malformed", MALFORMED)

    @pytest.mark.parametrize("payload", [b"[]", b"not json", b'"a string"'])
    def test_verify__signed_payload_not_a_claims_object__rejected(
        self, verifier, signing_key, payload
    ):
        """A correctly signed payload that is not a JSON object holds no claims."""
        token = jwt.api_jws.encode(
            payload,
            signing_key.private_key,
            algorithm="EdDSA",
            headers={"typ": "at+jwt", "kid": signing_key.kid},
        )
        assert_rejected(verifier, token, "claims", "the token's claims are invalid")

    @pytest.mark.parametrize(
        "claim", ["iss", "sub", "aud", "exp", "iat", "nbf", "jti", "client_id", "scope", "tenant"]
    )
    def test_verify__missing_required_claim__rejected(self, verifier, acme, claim):
        """Every RFC 9068 claim the API relies on is required."""
        error = rejection(verifier, acme.token(drop=(claim,)))
        assert error.reason == "claims"
        assert claim in error.description

    @pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
    @pytest.mark.parametrize("value", ["soon", True])
    def test_verify__time_claim_not_a_number__rejected(self, verifier, acme, claim, value):
        """Time claims must be numbers."""
        description = f"the token's '{claim}' claim is not a number"
        assert_rejected(verifier, acme.token(**{claim: value}), "claims", description)

    def test_verify__infinite_expiry__rejected(self, verifier, acme):
        """A non-finite ``exp`` is not a time."""
        token = acme.token(exp=float("inf"))
        assert_rejected(verifier, token, "claims", "the token's 'exp' claim is not a number")

    @pytest.mark.parametrize("claim", ["tenant", "client_id"])
    @pytest.mark.parametrize("value", ["", 42])
    def test_verify__identity_claim_empty_or_not_string__rejected(
        self, verifier, token_factory, claim, value
    ):
        """Tenant and client id must be non-empty strings."""
        claims = token_factory.claims("acme", "acme-ci") | {claim: value}
        description = f"the token's '{claim}' claim must be a non-empty string"
        assert_rejected(verifier, token_factory.sign(claims), "claims", description)

    @pytest.mark.parametrize("claim", ["sub", "jti"])
    def test_verify__sub_or_jti_not_a_string__rejected(self, verifier, acme, claim):
        """``sub`` and ``jti`` must be strings."""
        description = f"the token's '{claim}' claim must be a non-empty string"
        assert_rejected(verifier, acme.token(**{claim: 42}), "claims", description)

    def test_verify__scope_not_a_string__rejected(self, verifier, acme):
        """``scope`` is a space-separated string, not a list."""
        token = acme.token(scope=["projects:read"])
        assert_rejected(verifier, token, "claims", "the token's 'scope' claim must be a string")


def _sign_hs256(claims, secret: bytes, kid: str) -> str:
    """HS256 built by hand: PyJWT itself refuses asymmetric keys as HMAC secrets."""
    header = {"alg": "HS256", "typ": "at+jwt", "kid": kid}
    return forge_token(header, claims, lambda data: hmac.new(secret, data, hashlib.sha256).digest())


class TestFullySpecifiedAlgorithms:
    """RFC 9864: ``Ed25519`` names the algorithm that ``EdDSA`` named polymorphically."""

    def test_verify__ed25519_identifier__accepted(self, verifier, token_factory, signing_key):
        claims = token_factory.claims("acme", "acme-ci")
        header = {"alg": "Ed25519", "typ": "at+jwt", "kid": signing_key.kid}
        principal = verifier.verify(forge_token(header, claims, signing_key.private_key.sign))
        assert principal.client_id == "acme-ci"

    def test_verify__ed25519_identifier_with_bad_signature__rejected(
        self, verifier, token_factory, signing_key
    ):
        claims = token_factory.claims("acme", "acme-ci")
        header = {"alg": "Ed25519", "typ": "at+jwt", "kid": signing_key.kid}
        impostor = SigningKey.ed25519().private_key
        token = forge_token(header, claims, impostor.sign)
        assert_rejected(verifier, token, "signature", "the token signature is invalid")

    def test_verify__ed25519_identifier_for_an_ec_key__rejected(
        self, verifier, token_factory, ec_signing_key, signing_key
    ):
        claims = token_factory.claims("acme", "acme-ci")
        header = {"alg": "Ed25519", "typ": "at+jwt", "kid": ec_signing_key.kid}
        token = forge_token(header, claims, signing_key.private_key.sign)
        assert_rejected(
            verifier, token, "algorithm", "the token's algorithm does not match its key"
        )
