"""Caller-side cost and throughput of logging_lib against stdlib logging + a JSON formatter.

Each contender logs the same event (a message plus two fields) N times from one
thread into an in-memory sink; the caller-side cost is the time spent inside
the logging calls, the throughput counts until every line has reached the sink.

    python benchmarks/logging_throughput.py [--events N] [--repeats R]

Bounded: the defaults take a few seconds; each figure is the median of R runs.
"""

from __future__ import annotations

import argparse
import json
import logging
import logging.handlers
import queue
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from prometheus_client import CollectorRegistry

# Run as a plain script from a checkout: make the repository importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import logging_lib
from logging_lib import LoggingConfig, MemorySink

_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """A typical hand-written stdlib JSON formatter: timestamp, level, logger, message, extras."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "event": record.getMessage(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES:
                payload[key] = value
        return json.dumps(payload, default=repr)


class SinkHandler(logging.Handler):
    """Formats on the caller's thread and appends to a MemorySink, like a stream handler would."""

    def __init__(self, sink: MemorySink) -> None:
        super().__init__()
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.write((self.format(record),))


@dataclass
class Result:
    name: str
    caller_us: float
    events_per_s: float
    delivered: int
    dropped: int


def _timed(
    emit: Callable[[int], None], drain: Callable[[], None], events: int
) -> tuple[float, float]:
    started = time.perf_counter()
    for i in range(events):
        emit(i)
    called = time.perf_counter()
    drain()
    finished = time.perf_counter()
    return called - started, finished - started


def run_logging_lib(events: int) -> tuple[float, float, int, int]:
    sink = MemorySink()
    registry = CollectorRegistry()
    runtime = logging_lib.configure(
        LoggingConfig(queue_size=events), sinks=[sink], registry=registry
    )
    log = logging_lib.get_logger("bench")
    try:
        caller, total = _timed(
            lambda i: log.info("bench.event", i=i, user="ann"),
            lambda: runtime.flush(timeout=60),
            events,
        )
        dropped = registry.get_sample_value("log_events_dropped_total", {"reason": "queue_full"})
    finally:
        logging_lib.reset()
    return caller, total, len(sink.lines), int(dropped or 0)


def _stdlib_logger(handler: logging.Handler) -> logging.Logger:
    logger = logging.getLogger("bench.stdlib")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger


def run_stdlib_sync(events: int) -> tuple[float, float, int, int]:
    sink = MemorySink()
    handler = SinkHandler(sink)
    handler.setFormatter(JsonFormatter())
    logger = _stdlib_logger(handler)
    caller, total = _timed(
        lambda i: logger.info("bench.event", extra={"i": i, "user": "ann"}), lambda: None, events
    )
    logger.handlers.clear()
    return caller, total, len(sink.lines), 0


def run_stdlib_queue(events: int) -> tuple[float, float, int, int]:
    sink = MemorySink()
    target = SinkHandler(sink)
    target.setFormatter(JsonFormatter())
    lines: queue.Queue[logging.LogRecord] = queue.Queue(events)
    listener = logging.handlers.QueueListener(lines, target)
    listener.start()
    queue_handler = logging.handlers.QueueHandler(lines)
    logger = _stdlib_logger(queue_handler)
    caller, total = _timed(
        lambda i: logger.info("bench.event", extra={"i": i, "user": "ann"}),
        listener.stop,
        events,
    )
    logger.handlers.clear()
    return caller, total, len(sink.lines), 0


CONTENDERS: dict[str, Callable[[int], tuple[float, float, int, int]]] = {
    "logging_lib (async, JSON, redacted)": run_logging_lib,
    "stdlib + JSON formatter (sync handler)": run_stdlib_sync,
    "stdlib + JSON formatter (QueueHandler)": run_stdlib_queue,
}


def measure(events: int, repeats: int) -> list[Result]:
    for run in CONTENDERS.values():
        run(min(events, 2_000))  # warm-up
    # Rounds alternate the contenders so that noise from a shared machine
    # spreads over all of them rather than hitting one.
    runs: dict[str, list[tuple[float, float, int, int]]] = {name: [] for name in CONTENDERS}
    for _ in range(repeats):
        for name, run in CONTENDERS.items():
            runs[name].append(run(events))
    results = []
    for name, samples in runs.items():
        results.append(
            Result(
                name=name,
                caller_us=statistics.median(s[0] for s in samples) / events * 1e6,
                events_per_s=events / statistics.median(s[1] for s in samples),
                delivered=min(s[2] for s in samples),
                dropped=max(s[3] for s in samples),
            )
        )
    return results


def render(results: list[Result], events: int, repeats: int) -> str:
    baseline = next(r for r in results if "sync handler" in r.name).caller_us
    columns = ("contender", "caller µs/event", "vs stdlib", "events/s", "delivered", "dropped")
    header = "{:<40} {:>16} {:>10} {:>10} {:>10} {:>8}".format(*columns)
    rows = [
        f"{r.name:<40} {r.caller_us:>16.2f} {r.caller_us / baseline:>9.2f}x "
        f"{r.events_per_s:>10,.0f} {r.delivered:>10} {r.dropped:>8}"
        for r in results
    ]
    title = f"{events} events per run, median of {repeats} runs, one producer thread"
    return "\n".join([title, header, "-" * len(header), *rows])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=30_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    print(render(measure(args.events, args.repeats), args.events, args.repeats))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
