"""The per (tenant, client) fixed-window rate limiter, alone and in front of the routes."""

from __future__ import annotations

import pytest
from limits.storage import MemoryStorage
from structlog.testing import capture_logs

from apps.api.errors import PROBLEM_MEDIA_TYPE
from apps.api.rate_limit import RateLimitDecision, RateLimiter, create_storage
from tests.utils.limits_storage import ClockedMemoryStorage
from tests.utils.logging import configured_logging
from tests.utils.threads import run_together


def sample(metrics_registry, name):
    return metrics_registry.get_sample_value(name) or 0


class TestRateLimiter:
    def test_hit__within_limit__allowed_with_exact_remaining(self, make_limiter):
        """Each hit lowers ``remaining`` by one; the window resets in 60s."""
        limiter = make_limiter()
        decisions = [limiter.hit("acme", "ci") for _ in range(3)]
        assert decisions == [
            RateLimitDecision(True, 3, 2, 60),
            RateLimitDecision(True, 3, 1, 60),
            RateLimitDecision(True, 3, 0, 60),
        ]

    def test_hit__over_limit__refused_and_counted(self, make_limiter, clock, metrics_registry):
        """The hit after the limit is refused, with the seconds left in the window."""
        limiter = make_limiter()
        for _ in range(3):
            limiter.hit("acme", "ci")
        clock.advance(15)
        assert limiter.hit("acme", "ci") == RateLimitDecision(False, 3, 0, 45)
        assert sample(metrics_registry, "api_rate_limited_total") == 1

    def test_hit__window_over__allowed_again(self, make_limiter, clock):
        """A new window starts with a full budget."""
        limiter = make_limiter()
        for _ in range(4):
            limiter.hit("acme", "ci")
        clock.advance(60)
        assert limiter.hit("acme", "ci") == RateLimitDecision(True, 3, 2, 60)

    def test_hit__budget_per_tenant_and_client(self, make_limiter):
        """Tenants and clients have separate budgets, even with '/' in their ids."""
        limiter = make_limiter("1/minute")
        assert limiter.hit("a/b", "c").allowed
        assert limiter.hit("a", "b/c").allowed
        assert limiter.hit("a/b", "d").allowed
        assert limiter.hit("z", "c").allowed
        assert not limiter.hit("a/b", "c").allowed

    def test_hit__counter_key__tenant_and_client_each_one_encoded_segment(
        self, make_limiter, rate_limit_storage
    ):
        """What the shared storage holds, the contract between every worker using one Redis.

        Each id is percent-encoded ("/" and "%" included), so a key always has the
        same segments, whatever the ids, and no pair of ids can share a counter.
        """
        limiter = make_limiter("3/minute")
        limiter.hit("a/b", "c%d")
        limiter.hit("a", "b/c")
        assert rate_limit_storage.counters == {
            "LIMITER/a%2Fb/c%25d/3/1/minute": 1,
            "LIMITER/a/b%2Fc/3/1/minute": 1,
        }

    def test_hit__window_over_before_the_stats_query__reset_zero_never_negative(
        self, make_limiter, clock
    ):
        """A window the storage reports as already over resets in 0 s, never in -1 s or 1 s.

        Redis does so when the key expires between the increment and the query.
        """

        class EndedWindowStorage(ClockedMemoryStorage):
            def get_expiry(self, key):
                return self.clock.time() - 1.5

        limiter = make_limiter(storage=EndedWindowStorage(clock))
        assert limiter.hit("acme", "ci") == RateLimitDecision(True, 3, 2, 0)

    def test_hit__storage_fails__fails_open_logged_and_counted(
        self, make_limiter, rate_limit_storage, metrics_registry
    ):
        """A storage outage lets the request through, logs an error and counts it."""
        limiter = make_limiter()
        rate_limit_storage.failing = True
        with capture_logs() as events:
            assert limiter.hit("acme", "ci") is None
        assert sample(metrics_registry, "api_rate_limit_storage_errors_total") == 1
        assert events == [
            {
                "event": "rate_limit.storage_error",
                "log_level": "error",
                "decision": "fail_open",
                "error_type": "StorageDown",
            }
        ]

    @pytest.mark.parametrize("storage_kind", ["library_memory", "clocked"])
    def test_hit__eight_concurrent_threads__exactly_limit_allowed(
        self, make_limiter, clock, storage_kind
    ):
        """8 threads x 25 hits against 50/minute: exactly 50 are allowed."""
        if storage_kind == "library_memory":
            storage = MemoryStorage()
        else:
            storage = ClockedMemoryStorage(clock)
        limiter = make_limiter("50/minute", storage=storage)

        def worker(_index):
            return [limiter.hit("acme", "ci").allowed for _ in range(25)]

        results = [allowed for batch in run_together(worker, 8, timeout=10) for allowed in batch]
        assert len(results) == 200
        assert results.count(True) == 50

    def test_limiter__default_metrics__private_registry(self, rate_limit_storage, clock):
        """Without metrics the limiter still allows, refuses and fails open."""
        limiter = RateLimiter(rate_limit_storage, "1/second", clock=clock.time)
        assert limiter.limit == 1
        assert limiter.hit("t", "c").allowed
        assert not limiter.hit("t", "c").allowed
        rate_limit_storage.failing = True
        assert limiter.hit("t", "c") is None

    def test_hit__storage_fails__error_on_the_rate_limit_logger(
        self, make_limiter, rate_limit_storage
    ):
        """The emitted line names its logger, so an alert can select it."""
        limiter = make_limiter()
        rate_limit_storage.failing = True
        with configured_logging() as logging:
            limiter.hit("acme", "ci")
            errors = [e for e in logging.events() if e["event"] == "rate_limit.storage_error"]
        assert [(e["logger"], e["level"]) for e in errors] == [("apps.api.rate_limit", "error")]

    def test_decision_headers__refused__retry_after_at_least_one(self):
        """Retry-After never says 0 seconds."""
        headers = RateLimitDecision(False, 5, 0, 0).headers()
        assert headers == {
            "RateLimit-Limit": "5",
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": "0",
            "Retry-After": "1",
        }


class TestCreateStorage:
    def test_create_storage__memory(self):
        """``memory://`` builds the library's in-process storage."""
        assert isinstance(create_storage("memory://"), MemoryStorage)

    def test_create_storage__redis__lazy_with_short_timeouts(self):
        """``redis://`` builds a Redis storage without connecting; errors are wrapped."""
        storage = create_storage("redis://127.0.0.1:1/0")
        assert type(storage).__name__ == "RedisStorage"
        assert storage.wrap_exceptions is True
        pool_kwargs = storage.storage.connection_pool.connection_kwargs
        assert pool_kwargs["socket_timeout"] == 0.5
        assert pool_kwargs["socket_connect_timeout"] == 0.5
        storage.storage.close()


class TestRateLimitedRoutes:
    @pytest.fixture
    def limited_client(self, make_client, make_settings):
        return make_client(settings=make_settings(rate_limit="2/minute"))

    def test_route__success__carries_rate_limit_headers(self, limited_client, acme):
        """Successful responses tell the client its budget."""
        response = limited_client.get("/v1/projects", headers=acme.headers())
        assert response.status_code == 200
        assert response.headers["RateLimit-Limit"] == "2"
        assert response.headers["RateLimit-Remaining"] == "1"
        assert response.headers["RateLimit-Reset"] == "60"
        assert "Retry-After" not in response.headers

    def test_route__over_limit__429_problem_with_retry_after(self, limited_client, acme, clock):
        """The third request in the window gets 429 problem+json and Retry-After."""
        for _ in range(2):
            limited_client.get("/v1/projects", headers=acme.headers())
        clock.advance(20)
        response = limited_client.get("/v1/projects", headers=acme.headers())
        assert response.status_code == 429
        assert response.mimetype == PROBLEM_MEDIA_TYPE
        assert response.json["type"].endswith(":rate-limited")
        assert response.headers["Retry-After"] == "40"
        assert response.headers["RateLimit-Remaining"] == "0"
        assert response.headers["RateLimit-Reset"] == "40"

    def test_route__other_client_same_tenant__own_budget(
        self, limited_client, acme, acme_other_client, globex
    ):
        """Budgets are per (tenant, client): other clients are unaffected."""
        for _ in range(3):
            limited_client.get("/v1/projects", headers=acme.headers())
        assert (
            limited_client.get("/v1/projects", headers=acme_other_client.headers()).status_code
            == 200
        )
        assert limited_client.get("/v1/projects", headers=globex.headers()).status_code == 200

    def test_route__unauthenticated__not_counted(self, limited_client, acme):
        """Requests without a valid token are refused before the limiter counts them."""
        for _ in range(3):
            assert limited_client.get("/v1/projects").status_code == 401
        assert limited_client.get("/v1/projects", headers=acme.headers()).status_code == 200

    def test_route__storage_down__served_without_headers(
        self, limited_client, acme, rate_limit_storage, metrics_registry
    ):
        """Fail open: the request is served, with no RateLimit headers, and counted."""
        rate_limit_storage.failing = True
        response = limited_client.get("/v1/projects", headers=acme.headers())
        assert response.status_code == 200
        assert "RateLimit-Limit" not in response.headers
        assert sample(metrics_registry, "api_rate_limit_storage_errors_total") == 1

    def test_route__eight_concurrent_clients__exact_count(self, make_client, make_settings, acme):
        """8 threads through the app against 10/minute: exactly 10 answers are 200."""
        client = make_client(settings=make_settings(rate_limit="10/minute"))
        app = client.application
        headers = acme.headers()

        def worker(_index):
            with app.test_client() as own:
                return [own.get("/v1/projects", headers=headers).status_code for _ in range(4)]

        statuses = [code for codes in run_together(worker, 8, timeout=20) for code in codes]
        assert sorted(statuses) == [200] * 10 + [429] * 22
