"""Failed client authentications are throttled per client id and per address, before argon2."""

from __future__ import annotations

import pytest

from apps.auth_service.services import EXTENSION_KEY
from apps.auth_service.settings import SettingsError
from tests.unit.auth.configuration import BASIC_CLIENT, BASIC_SECRET, assertion_form, basic_auth
from tests.utils.limits_storage import ClockedMemoryStorage, StorageDown
from tests.utils.logging import metric_value

FORM = {"grant_type": "client_credentials"}


class CountingRegistry:
    """The configured clients, counting look-ups (each one precedes the argon2 check)."""

    def __init__(self, app):
        self._inner = app.extensions[EXTENSION_KEY].authenticator._registry
        self.lookups = 0

    def get(self, client_id):
        self.lookups += 1
        return self._inner.get(client_id)


@pytest.fixture
def throttled_app(make_app, make_settings):
    """Three failures per client and five per address a minute."""
    return make_app(
        settings=make_settings(
            throttle={"failures_per_client": "3/minute", "failures_per_address": "5/minute"}
        )
    )


def _post(client, client_id, secret, address="192.0.2.10", **headers):
    return client.post(
        "/oauth/token",
        data=FORM,
        headers={**basic_auth(client_id, secret), **headers},
        environ_base={"REMOTE_ADDR": address},
    )


def _refused_429(response):
    assert response.status_code == 429
    assert response.get_json()["error"] == "slow_down"
    assert response.headers["Cache-Control"] == "no-store"
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    return response


@pytest.mark.parametrize("client_id", [BASIC_CLIENT, "svc-nobody"])
def test_throttle__client_id_over_its_failures_is_refused_before_any_lookup(
    throttled_app, metrics_registry, events, client_id
):
    """Known or unknown, the answers are the same: the throttle tells no client ids apart."""
    with throttled_app.test_client() as client:
        statuses = [_post(client, client_id, "wrong").status_code for _ in range(3)]
        counting = CountingRegistry(throttled_app)
        throttled_app.extensions[EXTENSION_KEY].authenticator._registry = counting
        refused = _refused_429(_post(client, client_id, BASIC_SECRET))
    assert statuses == [401, 401, 401]
    assert counting.lookups == 0  # no registry look-up, so no argon2 verification
    assert metric_value(metrics_registry, "auth_throttled_requests_total", limit="client") == 1
    throttled = [e for e in events if e["event"] == "auth.token_request_throttled"]
    assert [(e["limit"], e["client_id"]) for e in throttled] == [("client", client_id)]
    assert refused.get_json()["error_description"] == "too many failed attempts; retry later"


def test_throttle__window_over__attempts_allowed_again(throttled_app, clock):
    with throttled_app.test_client() as client:
        for _ in range(3):
            _post(client, BASIC_CLIENT, "wrong")
        _refused_429(_post(client, BASIC_CLIENT, BASIC_SECRET))
        clock.advance(60)
        assert _post(client, BASIC_CLIENT, BASIC_SECRET).status_code == 200


def test_throttle__successes_are_not_counted(throttled_app):
    """A busy client that authenticates correctly is never throttled."""
    with throttled_app.test_client() as client:
        statuses = {_post(client, BASIC_CLIENT, BASIC_SECRET).status_code for _ in range(8)}
    assert statuses == {200}


def test_throttle__address_over_its_failures_is_refused_for_every_client_id(
    throttled_app, metrics_registry
):
    with throttled_app.test_client() as client:
        statuses = [_post(client, f"svc-guess-{n}", "x").status_code for n in range(5)]
        _refused_429(_post(client, "svc-guess-new", "x"))
        elsewhere = _post(client, "svc-guess-new", "x", address="198.51.100.7")
    assert statuses == [401] * 5
    assert elsewhere.status_code == 401
    assert metric_value(metrics_registry, "auth_throttled_requests_total", limit="address") == 1


def test_throttle__ipv6_addresses_of_one_slash_64_share_a_budget(throttled_app):
    """Rotating through one /64 (what one host usually gets) does not escape the limit."""
    with throttled_app.test_client() as client:
        for n in range(5):
            _post(client, f"svc-guess-{n}", "x", address=f"2001:db8:1:2::{n + 1}")
        _refused_429(_post(client, "svc-guess-new", "x", address="2001:db8:1:2:ffff::9"))
        assert _post(client, "svc-guess-new", "x", address="2001:db8:1:3::1").status_code == 401


def test_throttle__forwarded_for_is_ignored_unless_proxies_are_trusted(throttled_app):
    """A client cannot pick a fresh address per attempt by sending X-Forwarded-For."""
    with throttled_app.test_client() as client:
        for n in range(5):
            _post(client, f"svc-guess-{n}", "x", **{"X-Forwarded-For": f"203.0.113.{n}"})
        _refused_429(_post(client, "svc-new", "x", **{"X-Forwarded-For": "203.0.113.99"}))


def test_throttle__one_trusted_proxy__its_forwarded_address_is_used(make_app, make_settings):
    app = make_app(
        settings=make_settings(
            throttle={"failures_per_address": "2/minute", "trusted_proxy_hops": 1}
        )
    )
    with app.test_client() as client:
        for n in range(2):
            _post(client, f"svc-guess-{n}", "x", **{"X-Forwarded-For": "203.0.113.5"})
        _refused_429(_post(client, "svc-new", "x", **{"X-Forwarded-For": "203.0.113.5"}))
        other = _post(client, "svc-new", "x", **{"X-Forwarded-For": "203.0.113.6"})
    assert other.status_code == 401


def test_throttle__failed_assertions_count_too(throttled_app, make_assertion):
    with throttled_app.test_client() as client:
        bad = [
            client.post("/oauth/token", data=assertion_form(make_assertion(aud="https://x.test")))
            for _ in range(3)
        ]
        good = client.post("/oauth/token", data=assertion_form(make_assertion()))
    assert [r.status_code for r in bad] == [401] * 3
    _refused_429(good)


def test_throttle__storage_down__fails_closed_logged_and_counted(
    make_app, clock, metrics_registry, events
):
    """Unthrottled guessing during an outage is worse than a short refusal."""
    storage = ClockedMemoryStorage(clock, failing=True)
    app = make_app(throttle_storage=storage)
    with app.test_client() as client:
        response = _post(client, BASIC_CLIENT, BASIC_SECRET)
    assert response.status_code == 503
    assert response.get_json()["error"] == "temporarily_unavailable"
    assert (
        metric_value(metrics_registry, "auth_dependency_failures_total", dependency="throttle") == 1
    )
    failed = [e for e in events if e["event"] == "auth.dependency_failed"]
    assert [(e["dependency"], e["detail"]) for e in failed] == [
        ("throttle", "storage error: StorageDown")
    ]


def test_throttle__configuration_is_validated(make_settings):
    with pytest.raises(SettingsError) as caught:
        make_settings(throttle={"failures_per_client": "lots", "trusted_proxy_hops": -1, "x": 1})
    assert caught.value.problems == [
        "throttle.failures_per_client: must look like '100/minute' or '10 per second'",
        "throttle.trusted_proxy_hops: must be at least 0",
        "throttle.x: is not a known setting",
    ]


@pytest.mark.parametrize(("elapsed", "retry_after"), [(20, 40), (59.5, 1)])
def test_throttle__retry_after_is_the_rest_of_the_window(
    throttled_app, clock, elapsed, retry_after
):
    """Retry-After says when the spent budget's window ends, in whole seconds rounded up."""
    with throttled_app.test_client() as client:
        for _ in range(3):
            _post(client, BASIC_CLIENT, "wrong")
        clock.advance(elapsed)
        response = _refused_429(_post(client, BASIC_CLIENT, BASIC_SECRET))
    assert response.headers["Retry-After"] == str(retry_after)


def test_throttle__ipv4_mapped_ipv6_address__shares_the_ipv4_budget(throttled_app):
    """::ffff:192.0.2.10 is 192.0.2.10 reached over an IPv6 socket: one host, one budget."""
    with throttled_app.test_client() as client:
        for n in range(5):
            _post(client, f"svc-guess-{n}", "x", address="::ffff:192.0.2.10")
        _refused_429(_post(client, "svc-guess-new", "x", address="192.0.2.10"))
        assert _post(client, "svc-guess-new", "x", address="::ffff:192.0.2.11").status_code == 401


@pytest.mark.parametrize("address", ["", "not-an-address"])
def test_throttle__unknown_addresses__share_one_budget(throttled_app, address):
    with throttled_app.test_client() as client:
        for n in range(5):
            _post(client, f"svc-guess-{n}", "x", address=address)
        _refused_429(_post(client, "svc-guess-new", "x", address="not-an-address-either"))


def test_throttle__both_budgets_spent__the_client_budget_is_named(throttled_app, metrics_registry):
    """The client's budget is checked first: it is the one a legitimate owner can act on."""
    with throttled_app.test_client() as client:
        statuses = [_post(client, client_id, "x").status_code for client_id in ["svc-guess"] * 3]
        statuses += [_post(client, client_id, "x").status_code for client_id in ["svc-a", "svc-b"]]
        _refused_429(_post(client, "svc-guess", "x"))
    assert statuses == [401] * 5
    throttled = "auth_throttled_requests_total"
    assert metric_value(metrics_registry, throttled, limit="client") == 1
    assert metric_value(metrics_registry, throttled, limit="address") == 0


def test_throttle__counters_in_the_store__one_per_client_and_per_address(
    throttled_app, throttle_storage
):
    """What the shared store holds: the claimed id percent-encoded, one key segment."""
    with throttled_app.test_client() as client:
        _post(client, "svc/a%b", "x", address="2001:db8:1:2::7")
        _post(client, "svc-b", "x", address="")
    assert throttle_storage.counters == {
        "LIMITER/client/svc%2Fa%25b/3/1/minute": 1,
        "LIMITER/address/2001:db8:1:2::/64/5/1/minute": 1,
        "LIMITER/client/svc-b/3/1/minute": 1,
        "LIMITER/address/unknown/5/1/minute": 1,
    }


class FailingCounts(ClockedMemoryStorage):
    """Answers the budget checks but cannot count a failure."""

    def incr(self, key, expiry, amount=1):
        raise StorageDown("storage unreachable")


def test_throttle__failure_not_counted__still_refused_logged_and_counted(
    make_app, clock, metrics_registry, events
):
    """The request is refused as it would be; the lost count shows as a dependency failure."""
    app = make_app(throttle_storage=FailingCounts(clock))
    with app.test_client() as client:
        response = _post(client, BASIC_CLIENT, "wrong")
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"
    failures = "auth_dependency_failures_total"
    assert metric_value(metrics_registry, failures, dependency="throttle") == 1
    failed = [e for e in events if e["event"] == "auth.dependency_failed"]
    assert [(e["dependency"], e["detail"]) for e in failed] == [
        ("throttle", "storage error: StorageDown")
    ]
