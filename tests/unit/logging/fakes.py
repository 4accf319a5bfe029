"""Sinks with controllable behaviour, for dispatcher tests."""

import threading

from logging_lib import MemorySink


class BrokenSinkError(RuntimeError):
    pass


class FailingSink:
    """Raises from every method; counts the writes it refused. Has no ``after_fork``."""

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

    ``entered`` is set as soon as the first write has started waiting;
    ``batches`` holds the size of every batch written.
    """

    def __init__(self, name="gated"):
        super().__init__(name=name)
        self.entered = threading.Event()
        self.batches = []
        self._gate = threading.Event()

    def open(self):
        self._gate.set()

    def write(self, lines):
        self.entered.set()
        if not self._gate.wait(timeout=10):
            raise TimeoutError("gate never opened")
        self.batches.append(len(lines))
        super().write(lines)


class ForkCountingSink(MemorySink):
    """A memory sink counting the ``after_fork()`` calls it received."""

    def __init__(self, name="fork-counting"):
        super().__init__(name=name)
        self.after_forks = 0

    def after_fork(self):
        super().after_fork()
        self.after_forks += 1


class LockHoldingSink:
    """Holds its lock through its first write until ``open()``: a fork then copies it held.

    Like a file sink caught mid-write; ``after_fork()`` replaces the lock, as
    the real sinks do. Later writes do not wait.
    """

    name = "lock-holding"

    def __init__(self):
        self.lines = []
        self.entered = threading.Event()
        self._gate = threading.Event()
        self._lock = threading.Lock()

    def open(self):
        self._gate.set()

    def write(self, lines):
        with self._lock:
            if not self.entered.is_set():
                self.entered.set()
                if not self._gate.wait(timeout=10):
                    raise TimeoutError("gate never opened")
            self.lines.extend(lines)

    def after_fork(self):
        self._lock = threading.Lock()

    def flush(self):
        pass

    def close(self):
        pass


class ClosingSink(MemorySink):
    """A memory sink that runs ``on_close()`` when it is closed, before it counts as closed."""

    def __init__(self, on_close, name="closing"):
        super().__init__(name=name)
        self._on_close = on_close

    def close(self):
        self._on_close()
        super().close()
