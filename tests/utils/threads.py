"""Run one piece of work in several threads at once, for tests of thread safety.

    outcomes = run_together(lambda index: cache.add_if_absent("same", 60), 8, timeout=5)

The threads wait for each other at a barrier before they start their work, so
they contend for real instead of running one after another as they are started.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def run_together(work: Callable[[int], T], count: int, *, timeout: float) -> list[T]:
    """``[work(0), ..., work(count - 1)]``, each called in a thread of its own, all
    released together. The first exception a thread raised is raised here; a thread
    still running ``timeout`` seconds after its join began fails with how many are."""
    start = threading.Barrier(count)
    results: dict[int, T] = {}
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            start.wait(timeout=timeout)
            results[index] = work(index)
        except BaseException as exc:  # noqa: BLE001  (raised again in the test's thread)
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    running = sum(thread.is_alive() for thread in threads)
    if running:
        raise AssertionError(f"{running} of {count} threads still running after {timeout} s")
    if errors:
        raise errors[0]
    return [results[index] for index in range(count)]
