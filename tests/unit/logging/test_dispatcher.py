import io
import sys
import threading
import time

import pytest

import logging_lib.dispatcher
from logging_lib import MemorySink, RotatingFileSink, StreamSink
from tests.unit.logging.fakes import ClosingSink, FailingSink, ForkCountingSink, GatedSink
from tests.utils.logging import metric_value
from tests.utils.threads import run_together

WORKER_NAME = "logging_lib-dispatcher"
DISPATCHER_FILE = logging_lib.dispatcher.__file__


def _stuck(make_dispatcher, first="first", **options):
    """A dispatcher whose worker is held inside its GatedSink's write of ``first``: what
    is submitted next waits in the queue until ``sink.open()``. (sink, dispatcher)."""
    sink = GatedSink()
    dispatcher = make_dispatcher([sink], **options)
    assert dispatcher.submit(first)
    assert sink.entered.wait(timeout=10)
    return sink, dispatcher


def new_workers(before):
    """Dispatcher worker threads alive now that were not in *before*."""
    return [t for t in threading.enumerate() if t.name == WORKER_NAME and t not in before]


class CloseRace:
    """Producer threads submitting to a dispatcher until it is closed.

    A producer about to make a C call in the dispatcher's code (the queue's
    ``len`` or ``append`` inside submit()) yields the interpreter there, so
    close() tends to begin while it is inside submit(); once closing has
    begun it is held there until :meth:`let_held_producers_finish`. With
    *after_queuing*, only the queue's ``append`` counts, and the producer is
    held just after it: its line is queued, submit() has not returned.
    """

    def __init__(self, producers, *, after_queuing=False):
        self.accepted = [[] for _ in range(producers)]
        self._after_queuing = after_queuing
        self._hold_at = "c_return" if after_queuing else "c_call"
        self._sent = [0] * producers
        self._release = threading.Event()
        self.held = 0  # producers caught inside submit() as closing began
        self._threads = [
            threading.Thread(target=self._produce, args=(i,)) for i in range(producers)
        ]
        self._running = threading.Barrier(producers + 1)
        self._dispatcher = None

    @property
    def submitted(self):
        return sum(self._sent)

    def start(self, dispatcher):
        """Start the producers; return once each has submitted a few lines."""
        self._dispatcher = dispatcher
        for thread in self._threads:
            thread.start()
        self._running.wait(timeout=10)

    def let_held_producers_finish(self):
        self._release.set()
        self.join()

    def join(self):
        for thread in self._threads:
            thread.join(timeout=10)

    def _hold_while_closing(self, frame, event, arg):
        if frame.f_code.co_filename != DISPATCHER_FILE:
            return
        if self._after_queuing and getattr(arg, "__name__", None) != "append":
            return
        if event == "c_call":
            time.sleep(0)  # yield, so that close() tends to begin right here
        if event == self._hold_at and self._dispatcher.closed:
            self.held += 1
            self._release.wait(timeout=10)

    def _produce(self, index):
        sys.setprofile(self._hold_while_closing)
        try:
            while not self._dispatcher.closed:
                line = f"{index}:{self._sent[index]}"
                if self._dispatcher.submit(line):
                    self.accepted[index].append(line)
                self._sent[index] += 1
                if self._sent[index] == 50:
                    self._running.wait(timeout=10)
        finally:
            sys.setprofile(None)


@pytest.fixture
def tight_switching():
    """Switch threads every microsecond, so races inside a call actually happen."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


class TestAsynchronousDelivery:
    def test_dispatcher__eight_threads_deliver_every_event_after_flush(
        self, make_dispatcher, memory_sink, metrics_registry
    ):
        """8 producers x 25,000 lines with a fast sink: all delivered, per-producer order kept."""
        threads, per_thread = 8, 25_000
        dispatcher = make_dispatcher([memory_sink], queue_size=threads * per_thread)

        def produce(producer):
            for index in range(per_thread):
                dispatcher.submit(f"{producer}:{index}")

        run_together(produce, threads, timeout=60)
        assert dispatcher.flush(timeout=30)
        lines = memory_sink.lines
        assert len(lines) == threads * per_thread
        by_producer = {p: [] for p in range(threads)}
        for line in lines:
            producer, index = line.split(":")
            by_producer[int(producer)].append(int(index))
        assert all(indexes == list(range(per_thread)) for indexes in by_producer.values())
        assert metric_value(metrics_registry, "log_events_dropped_total", reason="queue_full") == 0

    def test_dispatcher__slow_sink_small_queue_accounts_for_every_event(
        self, make_dispatcher, metrics_registry
    ):
        """delivered + dropped == submitted, and the dropped metric agrees."""
        sink, dispatcher = _stuck(make_dispatcher, queue_size=10)
        submitted = 200  # the first line, in the sink, and these
        accepted = [dispatcher.submit(f"line {i}") for i in range(submitted - 1)]
        sink.open()
        assert dispatcher.flush(timeout=10)

        dropped = accepted.count(False)
        assert dropped == submitted - 11  # one in the sink, ten in the queue
        assert len(sink.lines) + dropped == submitted
        assert (
            metric_value(metrics_registry, "log_events_dropped_total", reason="queue_full")
            == dropped
        )

    def test_dispatcher__failing_sink_does_not_stop_the_others(
        self, make_dispatcher, metrics_registry
    ):
        failing, healthy = FailingSink(), MemorySink()
        dispatcher = make_dispatcher([failing, healthy])
        for i in range(1000):
            dispatcher.submit(f"line {i}")
        assert dispatcher.flush(timeout=10)

        assert healthy.lines == [f"line {i}" for i in range(1000)]
        errors = metric_value(metrics_registry, "log_sink_errors_total", sink="failing")
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
        sink, dispatcher = _stuck(make_dispatcher, queue_size=3)
        accepted = ["first"] + [f"l{i}" for i in range(10) if dispatcher.submit(f"l{i}")]
        opener = threading.Thread(target=sink.open)
        opener.start()
        assert dispatcher.close(timeout=10)
        opener.join(timeout=10)
        assert sink.lines == accepted

    def test_dispatcher__close_gives_up_when_worker_does_not_finish(self, make_dispatcher):
        sink, dispatcher = _stuck(make_dispatcher, queue_size=10)
        dispatcher.submit("queued")
        assert dispatcher.close(timeout=0.01) is False
        assert not sink.closed
        sink.open()
        assert dispatcher.close(timeout=10) is True
        assert sink.lines == ["first", "queued"]
        assert sink.closed

    def test_dispatcher__submit_after_close_is_dropped_and_counted(
        self, make_dispatcher, memory_sink, metrics_registry
    ):
        dispatcher = make_dispatcher([memory_sink])
        dispatcher.submit("before")
        assert dispatcher.close()
        assert dispatcher.closed
        assert dispatcher.submit("after") is False
        assert memory_sink.lines == ["before"]
        assert metric_value(metrics_registry, "log_events_dropped_total", reason="closed") == 1
        assert dispatcher.close() is True  # idempotent
        assert dispatcher.flush() is True  # nothing left to wait for

    def test_dispatcher__close_without_any_event_closes_sinks(self, make_dispatcher, memory_sink):
        dispatcher = make_dispatcher([memory_sink])
        assert dispatcher.close()
        assert memory_sink.closed

    def test_dispatcher__flush_times_out_on_a_stuck_sink(self, make_dispatcher, metrics_registry):
        sink, dispatcher = _stuck(make_dispatcher)
        assert dispatcher.flush(timeout=0.01) is False
        sink.open()
        assert dispatcher.flush(timeout=None) is True
        assert sink.lines == ["first"]
        assert metric_value(metrics_registry, "log_flush_seconds_count") == 2

    def test_dispatcher__is_open_until_closed(self, make_dispatcher, memory_sink):
        dispatcher = make_dispatcher([memory_sink])
        assert dispatcher.closed is False
        assert dispatcher.close()
        assert dispatcher.closed is True

    def test_dispatcher__a_queue_of_one_holds_one_waiting_line(
        self, make_dispatcher, metrics_registry
    ):
        sink, dispatcher = _stuck(make_dispatcher, first="in the sink", queue_size=1)
        assert dispatcher.submit("waiting")
        assert dispatcher.submit("one too many") is False
        sink.open()
        assert dispatcher.flush(timeout=10)
        assert sink.lines == ["in the sink", "waiting"]
        assert metric_value(metrics_registry, "log_events_dropped_total", reason="queue_full") == 1

    def test_dispatcher__queue_holds_ten_thousand_lines_by_default(
        self, make_dispatcher, metrics_registry
    ):
        sink, dispatcher = _stuck(make_dispatcher, first="in the sink")
        accepted = [dispatcher.submit(f"l{i}") for i in range(10_001)]
        assert accepted.count(True) == 10_000
        assert accepted[-1] is False
        sink.open()
        assert dispatcher.flush(timeout=10)
        assert len(sink.lines) == 10_001
        assert metric_value(metrics_registry, "log_events_dropped_total", reason="queue_full") == 1

    def test_dispatcher__hands_sinks_batches_of_at_most_512_lines(self, make_dispatcher):
        sink, dispatcher = _stuck(make_dispatcher)
        for i in range(1000):
            dispatcher.submit(f"l{i}")
        sink.open()
        assert dispatcher.flush(timeout=10)
        assert sink.batches == [1, 512, 488]
        assert sink.lines == ["first"] + [f"l{i}" for i in range(1000)]

    def test_dispatcher__flush_time_is_measured_on_the_injected_clock(
        self, make_dispatcher, memory_sink, metrics_registry
    ):
        ticks = iter([100.0, 100.25])
        dispatcher = make_dispatcher([memory_sink], clock=lambda: next(ticks))
        dispatcher.submit("line")
        assert dispatcher.flush(timeout=10)
        assert metric_value(metrics_registry, "log_flush_seconds_count") == 1
        assert metric_value(metrics_registry, "log_flush_seconds_sum") == 0.25

    def test_dispatcher__delivers_from_one_named_daemon_thread(self, make_dispatcher, memory_sink):
        """The name tells the thread apart in thread dumps; as a daemon it never holds up exit."""
        before = threading.enumerate()
        dispatcher = make_dispatcher([memory_sink])
        assert new_workers(before) == []  # started on first use, not before
        for i in range(3):
            dispatcher.submit(f"l{i}")
        assert dispatcher.flush(timeout=10)
        (worker,) = new_workers(before)
        assert worker.daemon is True
        assert dispatcher.close()
        worker.join(timeout=10)
        assert not worker.is_alive()

    def test_dispatcher__concurrent_first_submits_start_a_single_worker(
        self, make_dispatcher, memory_sink, tight_switching
    ):
        before = threading.enumerate()
        dispatchers = [make_dispatcher([memory_sink]) for _ in range(20)]
        producers = 8
        for dispatcher in dispatchers:
            run_together(
                lambda index, d=dispatcher: d.submit(f"line {index}"), producers, timeout=10
            )
            assert dispatcher.flush(timeout=10)
        assert len(new_workers(before)) == len(dispatchers)
        assert len(memory_sink.lines) == producers * len(dispatchers)

    def test_dispatcher__an_idle_worker_sleeps_instead_of_spinning(
        self, make_dispatcher, memory_sink
    ):
        dispatcher = make_dispatcher([memory_sink])
        dispatcher.submit("wake the worker")
        assert dispatcher.flush(timeout=10)
        used = time.process_time()
        threading.Event().wait(0.25)  # the worker idles meanwhile
        assert time.process_time() - used < 0.05

    @pytest.mark.parametrize(
        "held_until", ["close retried", "sinks closing", "sinks closing, line queued"]
    )
    def test_dispatcher__a_submit_racing_with_close_delivers_or_counts_its_line(
        self, make_dispatcher, metrics_registry, held_until
    ):
        """Every line submit() accepted is delivered; every other one is counted as dropped.

        Producers keep submitting until close(); one caught inside submit()
        when close() begins is held there, then finishes at a bad moment:
        after a close() that gave up on a stuck sink (its line queues behind
        the stop marker, for the next close() to deliver), or once close()
        has drained the queue for the last time - either before queuing its
        line or just after. Nearly every round catches a producer.
        """
        producers, rounds = 3, 5
        submitted = delivered = held = 0
        for _ in range(rounds):
            race = CloseRace(producers, after_queuing=held_until.endswith("line queued"))
            if held_until == "close retried":
                sink = GatedSink()
                dispatcher = make_dispatcher([sink], queue_size=1_000_000)
                race.start(dispatcher)
                assert dispatcher.close(timeout=0.05) is False  # the worker is stuck in the sink
                race.let_held_producers_finish()
                sink.open()
            else:
                sink = ClosingSink(on_close=race.let_held_producers_finish)
                dispatcher = make_dispatcher([sink], queue_size=1_000_000)
                race.start(dispatcher)
            assert dispatcher.close(timeout=10)
            race.join()

            by_producer = [[] for _ in range(producers)]
            for line in sink.lines:
                by_producer[int(line.split(":")[0])].append(line)
            assert by_producer == race.accepted
            submitted += race.submitted
            delivered += len(sink.lines)
            held += race.held
        assert held > 0, "no producer was inside submit() when close() began: nothing was tested"
        dropped = metric_value(metrics_registry, "log_events_dropped_total", reason="closed")
        assert delivered + dropped == submitted

    def test_dispatcher__queue_depth_is_exported(self, make_dispatcher, metrics_registry):
        sink, dispatcher = _stuck(make_dispatcher)
        for i in range(5):
            dispatcher.submit(f"l{i}")
        assert metric_value(metrics_registry, "log_queue_depth") == 5
        sink.open()
        assert dispatcher.flush()
        assert metric_value(metrics_registry, "log_queue_depth") == 0


class TestSynchronousMode:
    def test_sync_dispatcher__delivers_inside_submit_without_a_thread(
        self, sync_dispatcher, memory_sink
    ):
        before = threading.active_count()
        assert sync_dispatcher.submit("one")
        assert memory_sink.lines == ["one"]
        assert threading.active_count() == before
        assert sync_dispatcher.flush(timeout=0) is True

    def test_sync_dispatcher__counts_each_failed_write(self, make_dispatcher, metrics_registry):
        failing, healthy = FailingSink(), MemorySink()
        dispatcher = make_dispatcher([failing, healthy], synchronous=True)
        for i in range(3):
            dispatcher.submit(str(i))
        assert healthy.lines == ["0", "1", "2"]
        assert metric_value(metrics_registry, "log_sink_errors_total", sink="failing") == 3

    def test_sync_dispatcher__close_survives_a_failing_sink(
        self, make_dispatcher, metrics_registry
    ):
        failing, healthy = FailingSink(), MemorySink()
        dispatcher = make_dispatcher([failing, healthy], synchronous=True)
        assert dispatcher.close()
        assert healthy.closed
        # the failing flush and the failing close
        assert metric_value(metrics_registry, "log_sink_errors_total", sink="failing") == 2


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

    def test_after_fork_in_child__calls_each_sinks_after_fork_once(self, make_dispatcher):
        counting, plain = ForkCountingSink(), FailingSink()  # FailingSink has no after_fork
        dispatcher = make_dispatcher([counting, plain])
        dispatcher.after_fork_in_child()
        assert counting.after_forks == 1
        assert dispatcher.submit("child")
        assert dispatcher.flush(timeout=10)
        assert counting.lines == ["child"]

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
