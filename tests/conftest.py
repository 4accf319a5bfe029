"""Root conftest: plugins, the layer markers and the guards every test runs under.

The guards are plain functions in ``tests/utils/guards.py``; what each does,
and why the garbage collector stays out of start-up, is in docs/guide.md
("Guards").
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.utils import guards

# Off until collection ends, then everything alive is frozen: the collector's
# full passes no longer walk the imported code again and again.
gc.disable()

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
        layer = guards.layer_for(item.path, TESTS_ROOT)
        if layer is None:
            continue
        item.add_marker(layer)
        if layer in guards.UNIT_LAYERS:
            item.add_marker("unit")


@pytest.fixture(autouse=True)
def _scrub_service_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in guards.service_env_names(os.environ):
        monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def _network_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    guards.apply_network_policy(guards.layer_for(request.node.path, TESTS_ROOT))
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
