"""Read a gunicorn configuration file as ``gunicorn -c <file>`` does, stricter.

gunicorn executes the file and takes every name that is one of its settings,
validating each value (a hook's number of arguments included); any other name
it ignores without a word, so a misspelt ``worker_exitt`` would leave the
services' shutdown hooks unset. :func:`load_config` refuses such a name;
:func:`server_hooks` names the hooks a configuration sets, to compare with
:data:`KERNEL_HOOKS`, the ones both services' configurations must set.
"""

from __future__ import annotations

import runpy
import types
from pathlib import Path

from gunicorn.config import Config

#: The server hooks of apps.kernel.gunicorn that both services run, by qualified name.
KERNEL_HOOKS = {
    "on_starting": "apps.kernel.gunicorn.on_starting",
    "when_ready": "apps.kernel.gunicorn.serve_metrics_on.<locals>.when_ready",
    "post_fork": "apps.kernel.gunicorn.post_fork",
    "worker_exit": "apps.kernel.gunicorn.worker_exit",
    "child_exit": "apps.kernel.gunicorn.child_exit",
    "on_exit": "apps.kernel.gunicorn.on_exit",
}


def load_config(path: Path) -> Config:
    """The gunicorn ``Config`` the file sets; ``ValueError`` names a setting gunicorn lacks,
    or one whose value gunicorn refuses."""
    namespace = runpy.run_path(str(path))
    config = Config()
    unknown = sorted(
        name
        for name, value in namespace.items()
        if not name.startswith("_")
        and name not in config.settings
        and not isinstance(value, types.ModuleType)
    )
    if unknown:
        raise ValueError(f"{path.name}: not gunicorn settings: {', '.join(unknown)}")
    for name, value in namespace.items():
        if name in config.settings:
            try:
                config.set(name, value)
            except (TypeError, ValueError) as exc:  # gunicorn's message does not name it
                raise ValueError(f"{path.name}: {name}: {exc}") from None
    return config


def server_hooks(config: Config) -> dict[str, str]:
    """The qualified names of the hooks in :data:`KERNEL_HOOKS` as ``config`` sets them."""
    hooks = {name: getattr(config, name) for name in KERNEL_HOOKS}
    return {name: f"{hook.__module__}.{hook.__qualname__}" for name, hook in hooks.items()}
