"""Fixtures shared by the unit layers.

Layer-specific fixtures (apps, tokens, sinks) live in the layer's own
conftest; only what more than one layer asks for by name lives here.
"""

from __future__ import annotations

import pytest

from tests.utils.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    """A clock that moves only when the test calls ``advance`` (or ``sleep``)."""
    return FakeClock()
