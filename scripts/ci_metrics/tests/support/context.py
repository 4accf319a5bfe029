"""Contexts for running the verbs: captured streams, a fixed now, a clock that never waits."""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ci_metrics.context import Context
from tests.utils.clock import FakeClock

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def make_context(environ: Mapping[str, str] | None = None, **overrides: Any) -> Context:
    """A Context with captured streams and a fake clock (``ctx.fake_clock``) whose
    sleeps are recorded (``ctx.sleeps``) instead of waited."""
    clock = FakeClock(start=NOW.timestamp())
    ctx = Context(
        environ=dict(environ or {}),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
        now=lambda: NOW,
        sleep=clock.sleep,
        clock=clock.time,
        monotonic=clock.monotonic,
        **overrides,
    )
    ctx.sleeps = clock.sleeps  # type: ignore[attr-defined]
    ctx.fake_clock = clock  # type: ignore[attr-defined]
    return ctx
