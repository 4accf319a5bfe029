"""tests.utils.gunicorn_config: a gunicorn configuration file read as gunicorn reads it."""

from __future__ import annotations

import pytest

from tests.utils.gunicorn_config import KERNEL_HOOKS, load_config, server_hooks


def test_load_config__values_as_gunicorn_validates_them(tmp_path):
    path = tmp_path / "conf.py"
    path.write_text(
        "import os\nbind = '127.0.0.1:9000'\nworkers = 3\n"
        "def worker_exit(server, worker):\n    pass\n",
        encoding="utf-8",
    )
    config = load_config(path)
    assert (config.address, config.workers) == ([("127.0.0.1", 9000)], 3)
    assert config.worker_exit.__name__ == "worker_exit"


def test_load_config__a_name_gunicorn_would_ignore_is_refused(tmp_path):
    path = tmp_path / "conf.py"
    path.write_text("workers = 2\nworker_exitt = print\ngraceful_timout = 5\n", encoding="utf-8")
    with pytest.raises(
        ValueError, match=r"conf\.py: not gunicorn settings: graceful_timout, worker_exitt$"
    ):
        load_config(path)


def test_load_config__a_hook_with_the_wrong_arguments_is_refused(tmp_path):
    path = tmp_path / "conf.py"
    path.write_text("def worker_exit(server):\n    pass\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"conf\.py: worker_exit: Value must have an arity of: 2$"):
        load_config(path)


def test_server_hooks__names_each_hook_as_set_or_as_the_default(tmp_path):
    path = tmp_path / "conf.py"
    path.write_text(
        "from apps.kernel import gunicorn as k\npost_fork = k.post_fork\n", encoding="utf-8"
    )
    hooks = server_hooks(load_config(path))
    assert hooks["post_fork"] == KERNEL_HOOKS["post_fork"]
    assert hooks["worker_exit"] == "gunicorn.config.WorkerExit.worker_exit"
