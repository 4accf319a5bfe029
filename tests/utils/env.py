"""Set and unset environment variables for a block, then restore them exactly.

Prefer these (or ``monkeypatch.setenv``) to ``os.environ.update``: the
previous state, including variables that were absent, comes back even when
the block raises.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager

_MISSING = object()


@contextmanager
def set_env(
    values: Mapping[str, str | None] | None = None,
    /,
    *,
    environ: MutableMapping[str, str] | None = None,
    **kwargs: str | None,
) -> Iterator[MutableMapping[str, str]]:
    """Apply ``values`` and ``kwargs`` to the environment inside the block.

    A value of ``None`` removes the variable. Values must be strings: a number
    passed by mistake raises ``TypeError`` before anything changes.
    """
    target = os.environ if environ is None else environ
    changes: dict[str, str | None] = {**(values or {}), **kwargs}
    for name, value in changes.items():
        if not name or "=" in name:
            raise ValueError(f"invalid environment variable name {name!r}")
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{name}: value must be str or None, not {type(value).__name__}")
    saved = {name: target.get(name, _MISSING) for name in changes}
    try:
        for name, value in changes.items():
            if value is None:
                target.pop(name, None)
            else:
                target[name] = value
        yield target
    finally:
        for name, old in saved.items():
            if old is _MISSING:
                target.pop(name, None)
            else:
                target[name] = old  # type: ignore[assignment]


@contextmanager
def without_env(*prefixes: str, environ: MutableMapping[str, str] | None = None) -> Iterator[None]:
    """Remove every variable whose name starts with one of ``prefixes``."""
    target = os.environ if environ is None else environ
    names = [name for name in target if name.startswith(prefixes)]
    with set_env(dict.fromkeys(names), environ=target):
        yield
