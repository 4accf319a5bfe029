"""Root conftest: the Flask context guard and the garbage collector's tuning.

The layer markers, the environment scrubbing and the network guard apply to
every layer's tests, also those outside ``tests/``, so the layers' plugin
applies them (``tests/utils/layer_plugins.py``). Why the garbage collector stays
out of start-up is in docs/guide.md ("Guards").
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from tests.utils import guards

# Off until collection ends, then everything alive is frozen: the collector's
# full passes no longer walk the imported code again and again.
gc.disable()

pytest_plugins = ["pytester"]


@pytest.hookimpl(wrapper=True)
def pytest_collection() -> Iterator[object]:
    # Also in an xdist controller, which collects nothing itself.
    try:
        return (yield)
    finally:
        gc.freeze()
        gc.enable()


@pytest.fixture(autouse=True)
def _flask_context_leak_guard() -> Iterator[None]:
    yield
    leaked = list(guards.pop_leaked_flask_contexts())
    if leaked:
        pytest.fail(
            "test left Flask context(s) pushed: "
            + ", ".join(leaked)
            + " (use `with app.app_context():` or the client as a context manager)",
            pytrace=False,
        )
