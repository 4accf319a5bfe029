"""Root conftest: global plugin registration and the Flask guard only.

Fixtures that belong to a layer live in that layer's conftest; shared
builders live in tests/utils/. The layer markers, the environment scrubbing
and the network guard apply to every layer's tests, also those outside
``tests/``, so the layers' plugin applies them (``tests/utils/layer_plugins.py``).
Here, for every test below ``tests/``: a test that leaves a Flask app or
request context pushed fails.

The garbage collector is kept out of start-up. It is off from this module's
import (the first conftest pytest loads) to the end of collection, and then
every object alive at that point (modules, the code under test, the collected
items) is moved out of its reach with ``gc.freeze()``: they live until the
process ends. Collection creates many objects that survive, so the
collector's full passes otherwise walk the whole heap again and again while
the code under test is imported; and the full passes that follow (pytest's
unraisable-exception checks run two at exit, and every generation-2 pass during
the tests) then walk only what the tests created. On the unit layers that is
0.1-0.3 s of CPU per pytest process, per xdist worker
(``benchmarks/layer_startup.py``). Cyclic garbage made before the freeze is
not freed, and a ``__del__`` in it does not run: nothing in this suite relies
on either.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from tests.utils import guards

gc.disable()  # until collection ends: see the module docstring

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
