"""Prometheus metrics of the logging pipeline, on a registry the caller provides.

Nothing is ever registered on ``prometheus_client.REGISTRY``: the registry is
injected, so tests and several configurations in one process never collide.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.registry import Collector

DROP_QUEUE_FULL = "queue_full"
DROP_CLOSED = "closed"


class LoggingMetrics:
    """The counters, gauge and histogram logging_lib maintains.

    - ``log_events_total{level}``: events that passed level filtering.
    - ``log_events_dropped_total{reason}``: events the dispatcher refused
      (``queue_full``, ``closed``).
    - ``log_sink_errors_total{sink}``: failed sink writes.
    - ``log_queue_depth``: events waiting in the dispatcher queue.
    - ``log_flush_seconds``: time ``flush()`` took to drain the queue.
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.events = Counter(
            "log_events", "Log events emitted, by level.", ["level"], registry=registry
        )
        self.dropped = Counter(
            "log_events_dropped",
            "Log events dropped before reaching any sink, by reason.",
            ["reason"],
            registry=registry,
        )
        self.sink_errors = Counter(
            "log_sink_errors", "Failed writes, by sink.", ["sink"], registry=registry
        )
        self.queue_depth = Gauge(
            "log_queue_depth", "Events waiting in the dispatcher queue.", registry=registry
        )
        self.flush_seconds = Histogram(
            "log_flush_seconds",
            "Time flush() took to drain the dispatcher queue.",
            buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0),
            registry=registry,
        )
        # Resolving a labelled child takes a lock and a dict lookup; the level
        # counter runs once per event, so its children are cached here.
        self._level_children: dict[str, Counter] = {}

    def count_event(self, level: str) -> None:
        """Count one event at *level*."""
        child = self._level_children.get(level)
        if child is None:
            child = self._level_children.setdefault(level, self.events.labels(level))
        child.inc()

    def track_queue_depth(self, depth: Callable[[], int]) -> None:
        """Report ``depth()`` as the queue depth whenever the registry is collected."""
        self.queue_depth.set_function(lambda: float(depth()))

    def unregister(self) -> None:
        """Remove these metrics from the registry, so a later configuration can add its own."""
        collectors: tuple[Collector, ...] = (
            self.events,
            self.dropped,
            self.sink_errors,
            self.queue_depth,
            self.flush_seconds,
        )
        for collector in collectors:
            self.registry.unregister(collector)
