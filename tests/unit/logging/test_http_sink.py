import httpx
import pytest

from logging_lib import HttpSink, HttpSinkError
from logging_lib.http_sink import http_retry_policy
from tests.utils.clock import FakeClock
from tests.utils.slow_server import SlowFailure

URL = "https://collector.example/ingest"


class Collector:
    """An httpx transport handler answering with scripted statuses (or raising)."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.requests = []

    def __call__(self, request):
        self.requests.append(request)
        outcome = self.outcomes.pop(0) if self.outcomes else 200
        if isinstance(outcome, Exception):
            raise outcome
        return httpx.Response(outcome)


def policy(max_retries=3, budget=30.0):
    return http_retry_policy(max_retries=max_retries, budget_seconds=budget)


@pytest.fixture
def make_sink():
    """Factory: ``make_sink(collector, **overrides)`` -> (sink, recorded sleeps).

    The sink waits on a FakeClock: its waits are recorded and advance the clock.
    """
    clients = []

    def make(collector, clock=None, **overrides):
        clock = clock or FakeClock()
        client = httpx.Client(transport=httpx.MockTransport(collector))
        clients.append(client)
        sink = HttpSink(client, URL, sleep=clock.sleep, clock=clock.monotonic, **overrides)
        return sink, clock.sleeps

    yield make
    for client in clients:
        client.close()


class TestHttpSink:
    def test_http_sink__posts_ndjson_batches(self, make_sink):
        collector = Collector()
        sink, sleeps = make_sink(collector, batch_size=2)
        sink.write(["a", "b", "c"])
        assert [r.content for r in collector.requests] == [b"a\nb\n", b"c\n"]
        assert collector.requests[0].headers["content-type"] == "application/x-ndjson"
        assert str(collector.requests[0].url) == URL
        assert sleeps == []

    def test_http_sink__retries_with_jittered_exponential_backoff(self, make_sink):
        collector = Collector(503, httpx.ConnectError("refused"), 429, 200)
        sink, sleeps = make_sink(collector, retry=policy(max_retries=3))
        sink.write(["a"])
        assert len(collector.requests) == 4
        assert len(sleeps) == 3
        assert all(0 <= wait <= cap for wait, cap in zip(sleeps, [0.2, 0.4, 0.8], strict=True))

    def test_http_sink__waits_are_jittered_not_in_step(self, make_sink):
        """Workers that lost the collector together must not retry together."""
        first_waits = set()
        for _ in range(30):
            sink, sleeps = make_sink(Collector(503, 200), retry=policy(max_retries=1))
            sink.write(["a"])
            (wait,) = sleeps
            assert 0 <= wait <= 0.2
            first_waits.add(wait)
        assert len(first_waits) > 20

    def test_http_sink__waits_are_capped(self, make_sink):
        collector = Collector(*[503] * 8)
        sink, sleeps = make_sink(collector, retry=policy(max_retries=7, budget=1000))
        with pytest.raises(HttpSinkError):
            sink.write(["a"])
        assert len(sleeps) == 7
        assert all(wait <= 5.0 for wait in sleeps)

    def test_http_sink__gives_up_after_max_retries(self, make_sink):
        collector = Collector(500, 500, 500, 500)
        sink, sleeps = make_sink(collector, retry=policy(max_retries=2))
        with pytest.raises(HttpSinkError, match=r"1 batch\(es\) not delivered .* status 500"):
            sink.write(["a"])
        assert len(collector.requests) == 3
        assert len(sleeps) == 2

    def test_http_sink__one_batch_never_takes_longer_than_the_budget(self, make_sink):
        """A collector that fails slowly stops the retries once the budget is spent."""
        clock = FakeClock()
        collector = SlowFailure(clock, seconds=4.0)
        sink, _ = make_sink(collector, clock, timeout=5.0, retry=policy(10, budget=10.0))
        with pytest.raises(HttpSinkError):
            sink.write(["a"])
        timeouts = collector.timeouts
        assert clock.monotonic() <= 10.0 + 1e-9  # (float rounding of the last timeout)
        assert len(timeouts) < 11
        assert timeouts[0] == 5.0
        assert all(timeout <= 10.0 - 4.0 for timeout in timeouts[2:])

    def test_http_sink__does_not_retry_a_client_error(self, make_sink):
        collector = Collector(400, 200)
        sink, sleeps = make_sink(collector, batch_size=1)
        with pytest.raises(HttpSinkError, match="status 400"):
            sink.write(["rejected", "accepted"])
        assert [r.content for r in collector.requests] == [b"rejected\n", b"accepted\n"]
        assert sleeps == []

    def test_http_sink__reports_transport_errors(self, make_sink):
        collector = Collector(httpx.ReadTimeout("slow"))
        sink, _ = make_sink(collector, retry=policy(max_retries=0))
        with pytest.raises(HttpSinkError, match="ReadTimeout: slow"):
            sink.write(["a"])

    def test_http_sink__passes_its_timeout_per_request(self, make_sink):
        collector = Collector()
        sink, _ = make_sink(collector, timeout=1.25)
        sink.write(["a"])
        assert collector.requests[0].extensions["timeout"]["read"] == 1.25

    def test_http_sink__closes_only_a_client_it_owns(self):
        borrowed = httpx.Client(transport=httpx.MockTransport(Collector()))
        owned = httpx.Client(transport=httpx.MockTransport(Collector()))
        HttpSink(borrowed, URL).close()
        HttpSink(owned, URL, owns_client=True).close()
        HttpSink(owned, URL).flush()
        assert not borrowed.is_closed
        assert owned.is_closed
        borrowed.close()

    def test_http_sink__rejects_bad_settings(self):
        with httpx.Client() as client, pytest.raises(ValueError, match="batch_size"):
            HttpSink(client, URL, batch_size=0)
