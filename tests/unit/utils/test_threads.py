import threading

import pytest

from tests.utils.threads import run_together


def test_run_together__every_result_in_index_order_from_threads_running_at_once():
    # Each thread waits for all the others: run one after another, they would never pass.
    everyone = threading.Barrier(4)
    names = set()

    def work(index):
        everyone.wait(timeout=10)
        names.add(threading.current_thread().name)
        return index * 10

    assert run_together(work, 4, timeout=10) == [0, 10, 20, 30]
    assert len(names) == 4


def test_run_together__a_threads_exception_is_raised_in_the_caller():
    def work(index):
        if index == 2:
            raise ValueError("thread 2 failed")
        return index

    with pytest.raises(ValueError, match="thread 2 failed"):
        run_together(work, 3, timeout=10)


def test_run_together__a_thread_still_running_fails_naming_how_many():
    release = threading.Event()

    def work(index):
        if index == 1:
            release.wait()  # until the test has seen it running
        return index

    try:
        with pytest.raises(AssertionError, match="1 of 2 threads still running"):
            run_together(work, 2, timeout=0.1)
    finally:
        release.set()
