import socket
import threading

import flask
import httpx
import pytest
from werkzeug.serving import make_server

from tests.utils.clock import FakeClock
from tests.utils.healthcheck import (
    Probe,
    ServiceNotReady,
    assert_healthy,
    wait_until_ready,
)


def service_app(state):
    app = flask.Flask("health_under_test")

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz():
        if state["ready"]:
            return {"status": "ready"}
        return {"status": "starting", "checks": {"db": "down"}}, 503

    return app


@pytest.fixture
def served():
    """A real HTTP server on a random 127.0.0.1 port, in a thread."""
    state = {"ready": True}
    server = make_server("127.0.0.1", 0, service_app(state), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TestAssertHealthy:
    def test_assert_healthy__passes_for_a_ready_app(self):
        with service_app({"ready": True}).test_client() as client:
            assert_healthy(client)

    def test_assert_healthy__names_the_failing_probe_and_its_body(self):
        with service_app({"ready": False}).test_client() as client:
            with pytest.raises(ServiceNotReady, match=r"/readyz: HTTP 503 .*db.*down"):
                assert_healthy(client)
            assert_healthy(client, ready=False)  # liveness alone is fine


class TestWaitUntilReady:
    def test_wait_until_ready__returns_the_ready_probe_of_a_real_server(self, served):
        base_url, _ = served
        probe = wait_until_ready(base_url, timeout=5)
        assert probe.ok
        assert '"ready"' in probe.body

    def test_wait_until_ready__polls_until_ready(self, served):
        base_url, state = served
        state["ready"] = False
        clock = FakeClock()

        def sleep(seconds):
            clock.sleep(seconds)
            if len(clock.sleeps) == 3:
                state["ready"] = True

        probe = wait_until_ready(
            base_url, timeout=5, interval=0.5, clock=clock.monotonic, sleep=sleep
        )
        assert probe.status == 200
        assert clock.sleeps == [0.5, 0.5, 0.5]

    def test_wait_until_ready__times_out_with_last_answer(self, served):
        base_url, state = served
        state["ready"] = False
        clock = FakeClock()
        with pytest.raises(
            ServiceNotReady, match=r"not ready after 1s and 3 probe\(s\); last: /readyz: HTTP 503"
        ):
            wait_until_ready(
                base_url, timeout=1, interval=0.5, clock=clock.monotonic, sleep=clock.sleep
            )

    def test_wait_until_ready__reports_connection_errors(self):
        clock = FakeClock()
        with pytest.raises(ServiceNotReady, match="ConnectError"):
            wait_until_ready(
                f"http://127.0.0.1:{free_port()}",
                timeout=0.2,
                interval=0.1,
                clock=clock.monotonic,
                sleep=clock.sleep,
            )

    def test_wait_until_ready__stops_when_the_process_has_exited(self):
        with pytest.raises(ServiceNotReady, match="exited before it was ready"):
            wait_until_ready(f"http://127.0.0.1:{free_port()}", timeout=60, is_alive=lambda: False)

    def test_wait_until_ready__uses_a_given_client(self, served):
        base_url, _ = served
        with httpx.Client(timeout=2) as http:
            assert wait_until_ready(base_url, http=http).ok
            assert not http.is_closed

    @pytest.mark.parametrize(("timeout", "interval"), [(0, 1), (1, 0)])
    def test_wait_until_ready__rejects_non_positive_bounds(self, timeout, interval):
        with pytest.raises(ValueError, match="must be positive"):
            wait_until_ready("http://127.0.0.1:1", timeout=timeout, interval=interval)


def test_probe__describe_truncates_long_bodies():
    probe = Probe("/readyz", 503, "x" * 500)
    assert probe.describe().endswith("x" * 300 + "...")
    assert not probe.ok
