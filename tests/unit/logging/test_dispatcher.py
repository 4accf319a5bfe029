import io
import threading

import pytest

from logging_lib import MemorySink, RotatingFileSink, StreamSink
from tests.unit.logging.fakes import FailingSink, GatedSink
from tests.utils.logging import metric_value


class TestAsynchronousDelivery:
    def test_dispatcher__eight_threads_deliver_every_event_after_flush(
        self, make_dispatcher, memory_sink, registry
    ):
        """8 producers x 25,000 lines with a fast sink: all delivered, per-producer order kept."""
        threads, per_thread = 8, 25_000
        dispatcher = make_dispatcher([memory_sink], queue_size=threads * per_thread)
        start = threading.Barrier(threads)

        def produce(producer):
            start.wait()
            for index in range(per_thread):
                dispatcher.submit(f"{producer}:{index}")

        workers = [threading.Thread(target=produce, args=(p,)) for p in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)

        assert dispatcher.flush(timeout=30)
        lines = memory_sink.lines
        assert len(lines) == threads * per_thread
        by_producer = {p: [] for p in range(threads)}
        for line in lines:
            producer, index = line.split(":")
            by_producer[int(producer)].append(int(index))
        assert all(indexes == list(range(per_thread)) for indexes in by_producer.values())
        assert metric_value(registry, "log_events_dropped_total", reason="queue_full") == 0

    def test_dispatcher__slow_sink_small_queue_accounts_for_every_event(
        self, make_dispatcher, registry
    ):
        """delivered + dropped == submitted, and the dropped metric agrees."""
        sink = GatedSink()
        dispatcher = make_dispatcher([sink], queue_size=10)
        submitted = 200
        accepted = [dispatcher.submit("first")]
        assert sink.entered.wait(timeout=10)  # the worker is now stuck in the sink
        accepted += [dispatcher.submit(f"line {i}") for i in range(submitted - 1)]
        sink.open()
        assert dispatcher.flush(timeout=10)

        dropped = accepted.count(False)
        assert dropped == submitted - 11  # one in the sink, ten in the queue
        assert len(sink.lines) + dropped == submitted
        assert metric_value(registry, "log_events_dropped_total", reason="queue_full") == dropped

    def test_dispatcher__failing_sink_does_not_stop_the_others(self, make_dispatcher, registry):
        failing, healthy = FailingSink(), MemorySink()
        dispatcher = make_dispatcher([failing, healthy])
        for i in range(1000):
            dispatcher.submit(f"line {i}")
        assert dispatcher.flush(timeout=10)

        assert healthy.lines == [f"line {i}" for i in range(1000)]
        errors = metric_value(registry, "log_sink_errors_total", sink="failing")
        # one error per failed write, plus one for the failed flush
        assert errors == failing.write_calls + 1
        assert failing.write_calls >= 1

    def test_dispatcher__close_delivers_everything_accepted(self, make_dispatcher):
        sink = GatedSink()
        dispatcher = make_dispatcher([sink], queue_size=50)
        accepted = [f"line {i}" for i in range(40) if dispatcher.submit(f"line {i}")]
        closer = threading.Thread(target=dispatcher.close, kwargs={"timeout": 10})
        closer.start()
        sink.open()
        closer.join(timeout=10)

        assert not closer.is_alive()
        assert sink.lines == accepted
        assert len(accepted) == 40
        assert sink.closed

    def test_dispatcher__close_while_queue_is_full_loses_nothing(self, make_dispatcher):
        """The stop marker is queued behind the accepted lines, beyond the bound."""
        sink = GatedSink()
        dispatcher = make_dispatcher([sink], queue_size=3)
        dispatcher.submit("first")
        assert sink.entered.wait(timeout=10)
        accepted = ["first"] + [f"l{i}" for i in range(10) if dispatcher.submit(f"l{i}")]
        opener = threading.Thread(target=sink.open)
        opener.start()
        assert dispatcher.close(timeout=10)
        opener.join(timeout=10)
        assert sink.lines == accepted

    def test_dispatcher__close_gives_up_when_worker_does_not_finish(self, make_dispatcher):
        sink = GatedSink()
        dispatcher = make_dispatcher([sink], queue_size=10)
        dispatcher.submit("first")
        assert sink.entered.wait(timeout=10)
        dispatcher.submit("queued")
        assert dispatcher.close(timeout=0.01) is False
        assert not sink.closed
        sink.open()
        assert dispatcher.close(timeout=10) is True
        assert sink.lines == ["first", "queued"]
        assert sink.closed

    def test_dispatcher__submit_after_close_is_dropped_and_counted(
        self, make_dispatcher, memory_sink, registry
    ):
        dispatcher = make_dispatcher([memory_sink])
        dispatcher.submit("before")
        assert dispatcher.close()
        assert dispatcher.closed
        assert dispatcher.submit("after") is False
        assert memory_sink.lines == ["before"]
        assert metric_value(registry, "log_events_dropped_total", reason="closed") == 1
        assert dispatcher.close() is True  # idempotent
        assert dispatcher.flush() is True  # nothing left to wait for

    def test_dispatcher__close_without_any_event_closes_sinks(self, make_dispatcher, memory_sink):
        dispatcher = make_dispatcher([memory_sink])
        assert dispatcher.close()
        assert memory_sink.closed

    def test_dispatcher__flush_times_out_on_a_stuck_sink(self, make_dispatcher, registry):
        sink = GatedSink()
        dispatcher = make_dispatcher([sink])
        dispatcher.submit("first")
        assert sink.entered.wait(timeout=10)
        assert dispatcher.flush(timeout=0.01) is False
        sink.open()
        assert dispatcher.flush(timeout=None) is True
        assert sink.lines == ["first"]
        assert metric_value(registry, "log_flush_seconds_count") == 2

    def test_dispatcher__queue_depth_is_exported(self, make_dispatcher, registry):
        sink = GatedSink()
        dispatcher = make_dispatcher([sink])
        dispatcher.submit("first")
        assert sink.entered.wait(timeout=10)
        for i in range(5):
            dispatcher.submit(f"l{i}")
        assert metric_value(registry, "log_queue_depth") == 5
        sink.open()
        assert dispatcher.flush()
        assert metric_value(registry, "log_queue_depth") == 0


class TestSynchronousMode:
    def test_sync_dispatcher__delivers_inside_submit_without_a_thread(
        self, sync_dispatcher, memory_sink
    ):
        before = threading.active_count()
        assert sync_dispatcher.submit("one")
        assert memory_sink.lines == ["one"]
        assert threading.active_count() == before
        assert sync_dispatcher.flush(timeout=0) is True

    def test_sync_dispatcher__counts_each_failed_write(self, make_dispatcher, registry):
        failing, healthy = FailingSink(), MemorySink()
        dispatcher = make_dispatcher([failing, healthy], synchronous=True)
        for i in range(3):
            dispatcher.submit(str(i))
        assert healthy.lines == ["0", "1", "2"]
        assert metric_value(registry, "log_sink_errors_total", sink="failing") == 3

    def test_sync_dispatcher__close_survives_a_failing_sink(self, make_dispatcher, registry):
        failing, healthy = FailingSink(), MemorySink()
        dispatcher = make_dispatcher([failing, healthy], synchronous=True)
        assert dispatcher.close()
        assert healthy.closed
        # the failing flush and the failing close
        assert metric_value(registry, "log_sink_errors_total", sink="failing") == 2


def test_dispatcher__rejects_a_non_positive_queue_size(metrics):
    from logging_lib import Dispatcher

    with pytest.raises(ValueError, match="queue_size must be positive"):
        Dispatcher([], metrics=metrics, queue_size=0)


class TestAfterFork:
    """What a forked child runs, exercised in-process (test_fork.py does a real fork)."""

    def test_after_fork_in_child__leaves_a_working_empty_dispatcher(
        self, make_dispatcher, memory_sink
    ):
        stream = io.StringIO()
        dispatcher = make_dispatcher([memory_sink, StreamSink(stream)])
        dispatcher.after_fork_in_child()
        assert dispatcher.submit("child")
        assert dispatcher.flush(timeout=10)
        assert memory_sink.lines == ["child"]
        assert stream.getvalue() == "child\n"

    @pytest.mark.parametrize("kind", ["memory", "file"])
    def test_sink_after_fork__replaces_a_lock_held_at_fork_time(self, tmp_path, kind):
        if kind == "memory":
            sink = MemorySink()
        else:
            sink = RotatingFileSink(tmp_path / "f.log", max_bytes=1000, backup_count=0)
        sink._lock.acquire()  # as if the parent's worker was inside write() at fork time
        sink.after_fork()
        sink.write(["after fork"])
        sink.close()
        written = sink.lines if kind == "memory" else (tmp_path / "f.log").read_text().splitlines()
        assert written == ["after fork"]
