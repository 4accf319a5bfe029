"""Delivery of rendered lines to sinks, off the caller's thread.

The caller's side is :meth:`Dispatcher.submit`: it never blocks and never
raises; when the bounded queue is full the line is dropped and counted. A single
daemon worker thread, named ``logging_lib-dispatcher``, drains the queue in
batches of at most 512 lines and hands each batch to every sink; a sink that
raises is counted and skipped for that batch, the others still get it. In
synchronous mode there is no queue and no thread: ``submit`` delivers the batch
itself through the same delivery code.

After ``fork()`` the child gets a fresh, empty queue and starts its own worker
on first use; lines still queued in the parent are the parent's to deliver.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence

from logging_lib.metrics import DROP_CLOSED, DROP_QUEUE_FULL, LoggingMetrics
from logging_lib.sinks import Sink

_MAX_BATCH = 512

# The phases of a dispatcher's life, in order; close() moves it forward only.
_OPEN = 0  # lines are accepted
_CLOSING = 1  # close() was called: no line is accepted; the worker finishes the queue
_SEALED = 2  # the worker is gone; close() delivers what is left on its own thread
_FINISHED = 3  # every accepted line was delivered and the sinks are closed


class _FlushMarker:
    """Queued by flush(); the worker sets it once every line ahead of it was delivered."""

    def __init__(self) -> None:
        self.done = threading.Event()


class _Stop:
    """Ends the worker loop; queued by close() behind every line accepted before."""


_STOP = _Stop()
_Item = str | _FlushMarker | _Stop


class Dispatcher:
    """Hands rendered lines to sinks from a background worker (or synchronously).

    Args:
        sinks: destinations; each receives every delivered line, in batches.
        metrics: where drops, sink errors, queue depth and flush time are counted.
        queue_size: lines that may wait for the worker before ``submit`` drops.
            Producers racing for the last free slot may overshoot it by at most
            their number; every line is still either accepted or counted as dropped.
        synchronous: deliver inside ``submit`` instead of on a worker thread.
        clock: monotonic seconds, for flush latency.
    """

    def __init__(
        self,
        sinks: Sequence[Sink],
        *,
        metrics: LoggingMetrics,
        queue_size: int = 10_000,
        synchronous: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if queue_size <= 0:
            raise ValueError(f"queue_size must be positive, got {queue_size}")
        self.sinks = tuple(sinks)
        self.synchronous = synchronous
        self._metrics = metrics
        self._queue_size = queue_size
        self._clock = clock
        self._phase = _OPEN
        self._reset()
        metrics.track_queue_depth(self.queue_depth)
        if not synchronous:
            _after_fork.add(self)

    def _reset(self) -> None:
        # Everything a worker thread may hold a lock in. Called at construction
        # and in a forked child, where those locks may have been copied held.
        # The queue is a deque: append/popleft are atomic, so the hot path
        # (submit) takes no lock; the worker sleeps on an Event that producers
        # set only when it announced it is idle.
        self._items: deque[_Item] = deque()
        self._wakeup = threading.Event()
        self._idle = False  # pragma: no mutate - a hint sparing wake-ups; the worker sets its own
        self._lifecycle = threading.Lock()
        self._closing = threading.Lock()
        self._deliver_lock = threading.Lock()
        self._worker: threading.Thread | None = None

    def after_fork_in_child(self) -> None:
        """Start over in a forked child: empty queue, fresh locks, worker started on next use.

        Called automatically (``os.register_at_fork``) for every asynchronous
        dispatcher; sinks with an ``after_fork()`` method get it called too.
        Lines queued in the parent at fork time are left to the parent.
        """
        self._reset()
        for sink in self.sinks:
            after_fork = getattr(sink, "after_fork", None)
            if after_fork is not None:
                after_fork()

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._phase != _OPEN

    def queue_depth(self) -> int:
        """Lines accepted but not yet taken by the worker (a pending flush counts as one)."""
        return len(self._items)

    def submit(self, line: str) -> bool:
        """Queue *line* for delivery without blocking; False if it was dropped."""
        if self._phase != _OPEN:
            self._metrics.dropped.labels(DROP_CLOSED).inc()
            return False
        if self.synchronous:
            self._deliver((line,))
            return True
        if self._worker is None:
            self._start_worker()
        items = self._items
        if len(items) >= self._queue_size:
            self._metrics.dropped.labels(DROP_QUEUE_FULL).inc()
            return False
        items.append(line)
        if self._idle:
            self._wakeup.set()
        if self._phase >= _SEALED:
            # close() began after the check above and has since drained the
            # queue for the last time: the line is delivered only if that
            # drain took it.
            return self._withdraw(items, line)
        return True

    def _withdraw(self, items: deque[_Item], line: str) -> bool:
        """Take back *line*, queued after close() sealed the queue; True if it was delivered."""
        try:
            items.remove(line)  # an equal line queued as late is just as undelivered
        except ValueError:
            return True  # close()'s final drain took it
        self._metrics.dropped.labels(DROP_CLOSED).inc()
        return False

    def _start_worker(self) -> None:
        with self._lifecycle:
            if self._worker is None and self._phase == _OPEN:
                worker = threading.Thread(
                    target=self._run,
                    args=(self._items, self._wakeup),
                    name="logging_lib-dispatcher",
                    daemon=True,
                )
                worker.start()
                self._worker = worker

    def _run(self, items: deque[_Item], wakeup: threading.Event) -> None:
        while True:
            if not items:
                self._idle = True
                # Re-checked after announcing idleness: a producer that
                # appended before seeing the flag did not set the event.
                if not items:
                    wakeup.wait()
                wakeup.clear()
                self._idle = False  # pragma: no mutate - a hint sparing wake-ups, see submit()
                continue
            if self._process(items):
                return

    def _process(self, items: deque[_Item]) -> bool:
        """Deliver up to one batch from *items*; True once the stop marker was taken."""
        batch: list[str] = []
        markers: list[_FlushMarker] = []
        while items and len(batch) < _MAX_BATCH:
            item = items.popleft()
            if isinstance(item, str):
                batch.append(item)
            elif isinstance(item, _Stop):
                self._hand_over(batch, markers)
                return True
            else:
                markers.append(item)
        self._hand_over(batch, markers)
        return False

    def _hand_over(self, batch: Sequence[str], markers: Sequence[_FlushMarker]) -> None:
        if batch:
            self._deliver(batch)
        for marker in markers:
            marker.done.set()

    def _deliver(self, batch: Sequence[str]) -> None:
        with self._deliver_lock:
            for sink in self.sinks:
                try:
                    sink.write(batch)
                except Exception:  # noqa: BLE001 - one failing sink must not starve the others
                    self._metrics.sink_errors.labels(sink.name).inc()

    def flush(self, timeout: float | None = 5.0) -> bool:  # pragma: no mutate - see below
        """Wait until every line accepted so far was handed to the sinks, then flush the sinks.

        Returns False if *timeout* seconds passed first (``None`` waits for good).
        The default bound (like close()'s) is seen only in elapsed time, which
        tests do not assert.
        """
        if self._phase == _FINISHED:
            return True  # closed: everything accepted was delivered already
        started = self._clock()
        drained = True
        if self._worker is not None:
            marker = _FlushMarker()
            self._items.append(marker)
            self._wakeup.set()
            drained = marker.done.wait(timeout)
        if drained:
            # Only once drained: otherwise the worker is still inside a sink
            # and flushing would wait for it, past the caller's timeout.
            self._flush_sinks()
        self._metrics.flush_seconds.observe(self._clock() - started)
        return drained

    def _flush_sinks(self) -> None:
        with self._deliver_lock:
            for sink in self.sinks:
                try:
                    sink.flush()
                except Exception:  # noqa: BLE001
                    self._metrics.sink_errors.labels(sink.name).inc()

    def close(self, timeout: float | None = 10.0) -> bool:  # pragma: no mutate - see flush()
        """Stop accepting lines, deliver every accepted one, then close the sinks.

        Returns False if the worker did not finish within *timeout* seconds
        (a sink is stuck); the sinks are then left open for the worker, and a
        later ``close()`` tries again. Once it has returned True it does nothing.
        """
        with self._closing:
            if self._phase == _FINISHED:
                return True
            with self._lifecycle:
                first_call = self._phase == _OPEN
                self._phase = _CLOSING
                worker = self._worker
            if worker is not None:
                if first_call:
                    # Queued behind every accepted line, regardless of the bound.
                    self._items.append(_STOP)
                    self._wakeup.set()
                worker.join(timeout)
                if worker.is_alive():
                    return False
            # A submit() that passed its check before close() began may still
            # queue a line, behind the stop marker. Lines queued before the
            # seal are delivered here; a later one is taken back by its
            # submit(), which then reports it dropped.
            self._phase = _SEALED
            while self._items:
                self._process(self._items)
            self._flush_sinks()
            for sink in self.sinks:
                try:
                    sink.close()
                except Exception:  # noqa: BLE001
                    self._metrics.sink_errors.labels(sink.name).inc()
            self._phase = _FINISHED
            return True


class _ForkRegistry:
    """Resets every live asynchronous dispatcher in a freshly forked child."""

    def __init__(self) -> None:
        self._dispatchers: weakref.WeakSet[Dispatcher] = weakref.WeakSet()
        self._hooked = False

    def add(self, dispatcher: Dispatcher) -> None:
        if not self._hooked:
            os.register_at_fork(after_in_child=self.reset_all)
            self._hooked = True
        self._dispatchers.add(dispatcher)

    def reset_all(self) -> None:
        for dispatcher in list(self._dispatchers):
            dispatcher.after_fork_in_child()


_after_fork = _ForkRegistry()
