"""Root conftest: global plugin registration and guards only.

Fixtures that belong to a layer live in that layer's conftest; shared
builders live in tests/utils/. The guards below run for every test:

* the layer markers are registered from the layer registry in
  ``pyproject.toml``, and a test's marker (and ``unit`` for the unit layers)
  comes from its folder, so ``pytest -m auth`` and ``tox -e auth`` select the
  same tests;
* environment variables the services read are removed, so a developer's
  shell never changes a result;
* layers whose registry ``network`` is ``none`` cannot open network sockets;
  the ``loopback`` ones may reach loopback only;
* a test that leaves a Flask app or request context pushed fails.

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

import functools
import gc
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.utils import guards

gc.disable()  # until collection ends: see the module docstring

pytest_plugins = ["pytester"]

TESTS_ROOT = Path(__file__).parent


def pytest_configure(config: pytest.Config) -> None:
    for line in guards.marker_lines():
        config.addinivalue_line("markers", line)


@pytest.hookimpl(wrapper=True)
def pytest_collection() -> Iterator[object]:
    # Also in an xdist controller, which collects nothing itself.
    try:
        return (yield)
    finally:
        gc.freeze()
        gc.enable()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        layer = _layer_of(item)
        if layer is None:
            continue
        item.add_marker(layer)
        if layer in guards.UNIT_LAYERS:
            item.add_marker("unit")


def _layer_of(item: pytest.Item) -> str | None:
    return _layer_of_file(item.path)


@functools.cache
def _layer_of_file(path: Path) -> str | None:
    # Once per test file, not per test: resolving paths is most of the cost.
    return guards.layer_for(path, TESTS_ROOT)


@pytest.fixture(autouse=True)
def _scrub_service_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in guards.service_env_names(os.environ):
        monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def _network_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    guards.apply_network_policy(_layer_of(request.node))
    yield
    guards.lift_network_policy()


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
