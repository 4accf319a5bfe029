"""A server that fails slowly, on the fake clock: for tests of a retry budget.

    server = SlowFailure(clock, seconds=0.9)
    client = httpx.Client(transport=httpx.MockTransport(server))

Each request takes ``seconds`` of ``clock`` time and is answered 503; one whose
read timeout is shorter times out after that timeout instead. ``timeouts`` holds
every request's read timeout, so a test sees each attempt cap its wait by the
time its budget has left.
"""

from __future__ import annotations

import httpx

from tests.utils.clock import FakeClock


class SlowFailure:
    """The ``httpx.MockTransport`` handler of a server taking ``seconds`` to answer 503."""

    def __init__(self, clock: FakeClock, seconds: float) -> None:
        self.clock = clock
        self.seconds = seconds
        self.timeouts: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions["timeout"]["read"]
        self.timeouts.append(timeout)
        if timeout < self.seconds:
            self.clock.advance(timeout)
            raise httpx.ReadTimeout("timed out", request=request)
        self.clock.advance(self.seconds)
        return httpx.Response(503)
