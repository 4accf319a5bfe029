import httpx
import pytest

from logging_lib import HttpSink, HttpSinkError

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


@pytest.fixture
def make_sink():
    """Factory: ``make_sink(collector, **overrides)`` -> (sink, recorded sleeps)."""
    clients = []

    def make(collector, **overrides):
        sleeps = []
        client = httpx.Client(transport=httpx.MockTransport(collector))
        clients.append(client)
        sink = HttpSink(client, URL, sleep=sleeps.append, **overrides)
        return sink, sleeps

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

    def test_http_sink__retries_with_exponential_backoff(self, make_sink):
        collector = Collector(503, httpx.ConnectError("refused"), 429, 200)
        sink, sleeps = make_sink(collector, max_retries=3, backoff=0.5)
        sink.write(["a"])
        assert len(collector.requests) == 4
        assert sleeps == [0.5, 1.0, 2.0]

    def test_http_sink__gives_up_after_max_retries(self, make_sink):
        collector = Collector(500, 500, 500, 500)
        sink, sleeps = make_sink(collector, max_retries=2, backoff=1)
        with pytest.raises(HttpSinkError, match=r"1 batch\(es\) not delivered .* status 500"):
            sink.write(["a"])
        assert len(collector.requests) == 3
        assert sleeps == [1, 2]

    def test_http_sink__does_not_retry_a_client_error(self, make_sink):
        collector = Collector(400, 200)
        sink, sleeps = make_sink(collector, batch_size=1)
        with pytest.raises(HttpSinkError, match="status 400"):
            sink.write(["rejected", "accepted"])
        assert [r.content for r in collector.requests] == [b"rejected\n", b"accepted\n"]
        assert sleeps == []

    def test_http_sink__reports_transport_errors(self, make_sink):
        collector = Collector(httpx.ReadTimeout("slow"))
        sink, _ = make_sink(collector, max_retries=0)
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

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"batch_size": 0}, "batch_size must be positive"),
            ({"max_retries": -1}, "max_retries must not be negative"),
        ],
    )
    def test_http_sink__rejects_bad_settings(self, kwargs, message):
        with httpx.Client() as client, pytest.raises(ValueError, match=message):
            HttpSink(client, URL, **kwargs)
