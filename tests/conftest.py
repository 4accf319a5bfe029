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
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.utils import guards

pytest_plugins = ["pytester"]

TESTS_ROOT = Path(__file__).parent


def pytest_configure(config: pytest.Config) -> None:
    for line in guards.marker_lines():
        config.addinivalue_line("markers", line)


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
