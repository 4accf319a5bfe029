import httpx
import pytest

from tests.utils.clock import FakeClock
from tests.utils.slow_server import SlowFailure


def test_slow_failure__answers_503_after_its_time_or_times_out_first():
    clock = FakeClock()
    server = SlowFailure(clock, seconds=2.0)
    with httpx.Client(transport=httpx.MockTransport(server)) as client:
        assert client.get("http://s/", timeout=3.0).status_code == 503
        assert clock.monotonic() == 2.0
        with pytest.raises(httpx.ReadTimeout):
            client.get("http://s/", timeout=0.5)
    assert clock.monotonic() == 2.5
    assert server.timeouts == [3.0, 0.5]
