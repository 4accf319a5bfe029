"""When a client assertion is acceptable, and how long the replay cache keeps its id.

The policy of the test configuration: a 30 s clock leeway and assertions
accepted for at most 300 s after their ``iat``. ``make_assertion()`` signs one
issued now that expires in 60 s, so it is acceptable until now + 90 s.
"""

from __future__ import annotations

import pytest

from tests.unit.auth.configuration import JWT_CLIENT, assertion_form

FAILURES = {"auth.client_authentication_failed", "auth.replay_detected"}
#: SHA-256 of ``["svc-jwt","known-jti"]`` (compact JSON, ASCII-escaped): that id's cache key.
KNOWN_JTI_KEY = "994f6bc7d8d29928176b40f4b1578ab29fe0fcfe057008a08284b56b762feef0"
#: The same for the jti "jti-\u00e9", escaped as in ``["svc-jwt","jti-\\u00e9"]``.
NON_ASCII_JTI_KEY = "7ccbb10777afb246d15858aa6768537e5ba883b27f4b5251f6af588b5cf03397"


def attempt(client, events, assertion) -> str:
    """``"issued"``, or the reason the audit event gives for refusing the assertion."""
    seen = len(events)
    response = client.post("/oauth/token", data=assertion_form(assertion))
    if response.status_code == 200:
        return "issued"
    assert response.status_code == 401, response.get_json()
    (failure,) = [e for e in events[seen:] if e["event"] in FAILURES]
    return failure["reason"]


class RecordingCache:
    """A replay cache that accepts every id and records what it was asked to store."""

    def __init__(self):
        self.stored: list[tuple[str, int]] = []

    def add_if_absent(self, key, ttl_seconds):
        self.stored.append((key, ttl_seconds))
        return True

    def ping(self):
        return True

    def close(self):
        pass


class TestAcceptanceWindow:
    @pytest.mark.parametrize(("after", "outcome"), [(89, "issued"), (90, "expired")])
    def test_exp__refused_from_exactly_exp_plus_leeway(
        self, client, events, make_assertion, clock, after, outcome
    ):
        """RFC 7519 4.1.4: on or after ``exp`` (plus the leeway) it is not accepted."""
        assertion = make_assertion()
        clock.advance(after)
        assert attempt(client, events, assertion) == outcome

    @pytest.mark.parametrize(("after", "outcome"), [(329, "issued"), (330, "too_old")])
    def test_iat__refused_from_exactly_max_lifetime_plus_leeway(
        self, client, events, make_assertion, clock, after, outcome
    ):
        """However long ``exp`` says, 300 s after ``iat`` (plus the leeway) it is too old."""
        assertion = make_assertion(exp=int(clock.time()) + 3600)
        clock.advance(after)
        assert attempt(client, events, assertion) == outcome

    @pytest.mark.parametrize("claim", ["nbf", "iat"])
    @pytest.mark.parametrize(("ahead", "outcome"), [(30, "issued"), (31, "not_yet_valid")])
    def test_start__up_to_one_leeway_ahead_accepted(
        self, client, events, make_assertion, clock, claim, ahead, outcome
    ):
        """A client clock up to the leeway fast is tolerated, one second more is not."""
        now = int(clock.time())
        assertion = make_assertion(**{claim: now + ahead, "exp": now + 120})
        assert attempt(client, events, assertion) == outcome

    @pytest.mark.parametrize(("lifetime", "outcome"), [(330, "issued"), (331, "lifetime_too_long")])
    def test_no_iat__exp_at_most_max_lifetime_plus_leeway_ahead(
        self, client, events, make_assertion, clock, lifetime, outcome
    ):
        """Without ``iat``, the assertion itself must not claim to live longer than the window."""
        assertion = make_assertion(iat=None, exp=int(clock.time()) + lifetime)
        assert attempt(client, events, assertion) == outcome


class TestReplayWindow:
    @pytest.mark.parametrize(
        ("claims", "last_second", "then"),
        [
            ({}, 89, "expired"),
            ({"exp": 3600}, 329, "too_old"),
            ({"iat": None, "exp": 330}, 359, "expired"),
        ],
        ids=["exp", "iat-window", "no-iat"],
    )
    def test_replay__refused_as_such_until_the_assertion_is_no_longer_acceptable(
        self, client, events, make_assertion, clock, claims, last_second, then
    ):
        """The id outlives the assertion's acceptability: no second where a replay passes."""
        now = int(clock.time())
        assertion = make_assertion(
            **{name: None if value is None else now + value for name, value in claims.items()}
        )
        assert attempt(client, events, assertion) == "issued"
        clock.advance(last_second)
        assert attempt(client, events, assertion) == "replayed_assertion"
        clock.advance(1)
        assert attempt(client, events, assertion) == then

    def test_replay__used_between_two_seconds__refused_in_the_last_fraction(
        self, client, events, make_assertion, clock
    ):
        """The id is kept in whole seconds rounded up, so no fraction of a second is lost."""
        assertion = make_assertion()
        clock.advance(0.5)
        assert attempt(client, events, assertion) == "issued"
        clock.advance(89.4)
        assert attempt(client, events, assertion) == "replayed_assertion"

    @pytest.mark.parametrize(
        ("claims", "used_after", "ttl"),
        [
            ({}, 0, 90),
            ({}, 0.5, 90),
            ({}, 89.5, 1),
            ({"exp": 3600}, 0, 330),
            ({"iat": None, "exp": 330}, 0, 360),
        ],
    )
    def test_replay_cache__keeps_the_id_exactly_while_acceptable(
        self, make_app, make_assertion, clock, claims, used_after, ttl
    ):
        """Until ``min(exp, iat + 300) + 30`` s, rounded up: never less, and no longer."""
        cache = RecordingCache()
        now = int(clock.time())
        assertion = make_assertion(
            jti="known-jti",
            **{name: None if value is None else now + value for name, value in claims.items()},
        )
        clock.advance(used_after)
        with make_app(replay_cache=cache).test_client() as client:
            assert client.post("/oauth/token", data=assertion_form(assertion)).status_code == 200
        assert cache.stored == [(KNOWN_JTI_KEY, ttl)]

    @pytest.mark.parametrize(
        ("jti", "key"), [("known-jti", KNOWN_JTI_KEY), ("jti-\u00e9", NON_ASCII_JTI_KEY)]
    )
    def test_replay_cache__key_derivation_is_stable(self, make_app, make_assertion, jti, key):
        """Known answers: workers of two releases sharing one Redis must agree on every key."""
        cache = RecordingCache()
        with make_app(replay_cache=cache).test_client() as client:
            response = client.post("/oauth/token", data=assertion_form(make_assertion(jti=jti)))
        assert response.status_code == 200
        assert [stored_key for stored_key, _ in cache.stored] == [key]

    @pytest.mark.parametrize("jti", ["jti-\u00e9", "jti-\U0001f511", 'jti-"quoted"'])
    def test_replay_cache__any_jti_text__stored_under_its_own_key(
        self, client, events, make_assertion, jti
    ):
        """Non-ASCII and JSON-special ids are accepted once, then refused as replays."""
        assertion = make_assertion(jti=jti)
        assert attempt(client, events, assertion) == "issued"
        assert attempt(client, events, make_assertion(jti=jti)) == "replayed_assertion"
        replayed = [e for e in events if e["event"] == "auth.replay_detected"]
        assert [e["client_id"] for e in replayed] == [JWT_CLIENT]
