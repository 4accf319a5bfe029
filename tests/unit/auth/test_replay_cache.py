"""Replay caches: in-memory (bounded, expiring, thread-safe) and Redis (SET NX EX)."""

from __future__ import annotations

import pytest

from apps.auth_service.replay_cache import (
    MemoryReplayCache,
    RedisReplayCache,
    ReplayCacheUnavailable,
    replay_cache_from_url,
)
from tests.unit.auth.fakes import FakeRedis
from tests.utils.threads import run_together


class TestMemoryReplayCache:
    def test_first_add_is_new_second_is_replay(self, replay_cache):
        """A key is new once, then seen."""
        assert replay_cache.add_if_absent("c:j1", 60) is True
        assert replay_cache.add_if_absent("c:j1", 60) is False
        assert replay_cache.add_if_absent("c:j2", 60) is True

    def test_key_is_forgotten_after_its_ttl(self, replay_cache, clock):
        """An entry expires exactly at its TTL."""
        replay_cache.add_if_absent("k", 10)
        clock.advance(9.5)
        assert replay_cache.add_if_absent("k", 10) is False
        clock.advance(0.5)
        assert replay_cache.add_if_absent("k", 10) is True

    def test_full_cache_refuses_instead_of_evicting(self, clock):
        """When full of live entries it fails closed."""
        cache = MemoryReplayCache(max_entries=2, clock=clock.time)
        cache.add_if_absent("a", 10)
        cache.add_if_absent("b", 100)
        with pytest.raises(ReplayCacheUnavailable, match=r"^in-memory replay cache is full$"):
            cache.add_if_absent("c", 10)
        assert cache.add_if_absent("a", 10) is False
        clock.advance(10)
        assert cache.add_if_absent("c", 10) is True
        assert len(cache) == 2

    def test_concurrent_adds_of_one_key_have_one_winner(self, clock):
        """Exactly one of many threads sees the key as new."""
        cache = MemoryReplayCache(max_entries=100, clock=clock.time)
        results = run_together(lambda _index: cache.add_if_absent("same", 60), 8, timeout=5)
        assert sorted(results) == [False] * 7 + [True]

    def test_ping_and_close(self, replay_cache):
        """The in-memory cache is always reachable."""
        replay_cache.close()
        assert replay_cache.ping() is True

    @pytest.mark.parametrize("ttl", [0, -5])
    def test_ttl_must_be_positive(self, replay_cache, ttl):
        """A TTL below one second is a programming error."""
        with pytest.raises(ValueError, match=r"^ttl_seconds must be at least 1$"):
            replay_cache.add_if_absent("k", ttl)

    def test_one_second_ttl__kept_for_that_second(self, replay_cache, clock):
        """The shortest TTL is one second, and the key lives exactly that long."""
        assert replay_cache.add_if_absent("k", 1) is True
        clock.advance(0.9)
        assert replay_cache.add_if_absent("k", 1) is False
        clock.advance(0.1)
        assert replay_cache.add_if_absent("k", 1) is True

    def test_size_must_be_positive(self):
        """A cache that holds nothing is refused."""
        with pytest.raises(ValueError, match=r"^max_entries must be at least 1$"):
            MemoryReplayCache(max_entries=0)

    def test_size_of_one__holds_one_key(self, clock):
        cache = MemoryReplayCache(max_entries=1, clock=clock.time)
        assert cache.add_if_absent("a", 10) is True
        with pytest.raises(ReplayCacheUnavailable):
            cache.add_if_absent("b", 10)
        assert len(cache) == 1


class TestRedisReplayCache:
    def test_uses_set_nx_ex_with_prefix(self):
        """One atomic SET key 1 NX EX ttl per check."""
        fake = FakeRedis()
        cache = RedisReplayCache(fake)
        assert cache.add_if_absent("c:j", 91) is True
        assert cache.add_if_absent("c:j", 91) is False
        assert fake.calls[0] == ("set", "auth_service:jti:c:j", 1, True, 91)

    def test_redis_error_fails_closed(self):
        """A Redis error becomes ReplayCacheUnavailable, never a silent accept."""
        cache = RedisReplayCache(FakeRedis(fail=True))
        with pytest.raises(ReplayCacheUnavailable, match="ConnectionError"):
            cache.add_if_absent("k", 10)

    def test_ping_reports_reachability(self):
        """ping is False when Redis errors."""
        assert RedisReplayCache(FakeRedis()).ping() is True
        assert RedisReplayCache(FakeRedis(fail=True)).ping() is False

    def test_close_closes_the_client(self):
        """close releases the Redis connection pool."""
        fake = FakeRedis()
        RedisReplayCache(fake).close()
        assert fake.closed is True

    def test_ttl_must_be_positive(self):
        """Redis would reject EX 0; the cache refuses it first."""
        with pytest.raises(ValueError, match=r"^ttl_seconds must be at least 1$"):
            RedisReplayCache(FakeRedis()).add_if_absent("k", 0)

    def test_one_second_ttl__sent_as_ex_1(self):
        fake = FakeRedis()
        assert RedisReplayCache(fake).add_if_absent("k", 1) is True
        assert fake.calls == [("set", "auth_service:jti:k", 1, True, 1)]


class TestReplayCacheFromUrl:
    def test_memory_url(self, clock):
        """memory:// gives the in-process cache on the given clock."""
        cache = replay_cache_from_url("memory://", max_entries=5, clock=clock.time)
        assert isinstance(cache, MemoryReplayCache)
        assert cache.add_if_absent("k", 10) is True
        clock.advance(10)
        assert cache.add_if_absent("k", 10) is True

    @pytest.mark.parametrize("url", ["redis://cache:6379/2", "rediss://cache:6380/2"])
    def test_redis_url_uses_the_factory(self, url):
        """redis:// and rediss:// (TLS): a client from the injected factory, with timeouts."""
        seen = {}

        def factory(url, **kwargs):
            seen.update(url=url, **kwargs)
            return FakeRedis()

        cache = replay_cache_from_url(url, max_entries=5, redis_factory=factory)
        assert isinstance(cache, RedisReplayCache)
        assert seen == {"url": url, "socket_timeout": 1.0, "socket_connect_timeout": 1.0}

    def test_other_url_is_refused(self):
        """Unknown schemes are a configuration error."""
        with pytest.raises(
            ValueError,
            match=r"^replay cache URL must start with memory://, redis:// or rediss://$",
        ):
            replay_cache_from_url("memcached://x", max_entries=5)
