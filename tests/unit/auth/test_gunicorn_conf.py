"""The token service's gunicorn configuration, read as gunicorn reads it."""

from __future__ import annotations

from pathlib import Path

from tests.utils.gunicorn_config import KERNEL_HOOKS, load_config, server_hooks

CONF = Path(__file__).resolve().parents[3] / "apps" / "auth_service" / "gunicorn_conf.py"


def test_gunicorn_conf__every_name_is_a_setting_and_the_kernels_hooks_run():
    config = load_config(CONF)
    assert (config.address, config.workers) == ([("127.0.0.1", 8001)], 2)
    assert server_hooks(config) == KERNEL_HOOKS
