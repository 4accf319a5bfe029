"""Sinks with controllable behaviour, for dispatcher tests."""

import threading

from logging_lib import MemorySink


class BrokenSinkError(RuntimeError):
    pass


class FailingSink:
    """Raises from every method; counts the writes it refused."""

    def __init__(self, name="failing"):
        self.name = name
        self.write_calls = 0

    def write(self, lines):
        self.write_calls += 1
        raise BrokenSinkError("sink is broken")

    def flush(self):
        raise BrokenSinkError("sink is broken")

    def close(self):
        raise BrokenSinkError("sink is broken")


class GatedSink(MemorySink):
    """A memory sink whose writes wait until ``open()`` is called: a sink as slow as needed.

    ``entered`` is set as soon as the first write has started waiting.
    """

    def __init__(self, name="gated"):
        super().__init__(name=name)
        self.entered = threading.Event()
        self._gate = threading.Event()

    def open(self):
        self._gate.set()

    def write(self, lines):
        self.entered.set()
        if not self._gate.wait(timeout=10):
            raise TimeoutError("gate never opened")
        super().write(lines)
