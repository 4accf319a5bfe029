"""The gunicorn hooks, called the way gunicorn calls them, with fakes for its objects."""

from __future__ import annotations

import logging
import os
from types import SimpleNamespace

import pytest

from apps.kernel import gunicorn as hooks
from apps.kernel.lifecycle import add_shutdown_hook
from tests.utils.gunicorn_config import KERNEL_HOOKS, load_config, server_hooks


class FakeLog:
    def __init__(self):
        self.lines = []

    def info(self, message, *args):
        self.lines.append(("info", message % args))

    def warning(self, message, *args):
        self.lines.append(("warning", message % args))


@pytest.fixture
def server():
    return SimpleNamespace(log=FakeLog(), cfg=SimpleNamespace(workers=3))


@pytest.fixture(autouse=True)
def master_state(monkeypatch):
    """Each test starts as a fresh master: no directory, listener or gauge yet."""
    for name in ("directory", "server", "thread", "worker_gauge"):
        monkeypatch.setattr(hooks._State, name, None)
    monkeypatch.setattr(hooks._State, "owns_directory", False)
    monkeypatch.delenv(hooks.MULTIPROC_ENV, raising=False)
    monkeypatch.delenv(hooks.METRICS_BIND_ENV, raising=False)
    monkeypatch.delenv("SERVICE_WORKERS", raising=False)


@pytest.mark.parametrize(
    ("bind", "expected"),
    [("127.0.0.1:9101", ("127.0.0.1", 9101)), ("[::1]:9102", ("::1", 9102))],
)
def test_parse_bind__host_and_port(bind, expected):
    assert hooks.parse_bind(bind) == expected


@pytest.mark.parametrize("bind", ["9101", ":9101", "host:", "host:http", "host:0", "host:65536"])
def test_parse_bind__refuses_what_is_not_host_port(bind):
    with pytest.raises(hooks.MetricsSetupError, match="METRICS_BIND must be host:port"):
        hooks.parse_bind(bind)


def test_on_starting__a_configured_directory_is_cleaned_of_an_earlier_runs_figures(
    server, tmp_path, monkeypatch
):
    (tmp_path / "counter_1.db").write_bytes(b"old")
    (tmp_path / "keep.txt").write_text("not ours")
    monkeypatch.setenv(hooks.MULTIPROC_ENV, str(tmp_path))
    hooks.on_starting(server)
    assert hooks._State.directory == tmp_path
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]
    hooks.on_exit(server)
    assert tmp_path.is_dir()  # not ours to remove


def test_on_starting__without_a_directory_makes_one_and_removes_it_at_exit(server, monkeypatch):
    monkeypatch.delitem(__import__("sys").modules, "prometheus_client", raising=False)
    hooks.on_starting(server)
    directory = hooks._State.directory
    assert directory is not None
    assert directory.is_dir()
    assert os.environ[hooks.MULTIPROC_ENV] == str(directory)
    hooks.on_exit(server)
    assert not directory.exists()


def test_on_starting__prometheus_imported_before_the_directory_is_chosen_is_refused(server):
    import prometheus_client  # noqa: F401 - the state the hook refuses

    with pytest.raises(hooks.MetricsSetupError, match="pass the gunicorn configuration as a file"):
        hooks.on_starting(server)


def test_when_ready__serves_the_workers_figures_on_the_configured_listener(
    server, tmp_path, monkeypatch
):
    import prometheus_client

    started = []
    listener = SimpleNamespace(shutdown=lambda: started.append("shutdown"),
                               server_close=lambda: started.append("closed"))  # fmt: skip

    def start_http_server(port, addr, registry):
        started.append((addr, port, type(registry).__name__))
        return listener, "thread"

    monkeypatch.setattr(prometheus_client, "start_http_server", start_http_server)
    monkeypatch.setenv(hooks.METRICS_BIND_ENV, "127.0.0.1:9300")
    monkeypatch.setattr(hooks._State, "directory", tmp_path)
    hooks.serve_metrics_on("127.0.0.1:9101")(server)
    assert started == [("127.0.0.1", 9300, "CollectorRegistry")]
    assert server.log.lines == [
        ("info", "Serving the metrics of every worker on http://127.0.0.1:9300/metrics")
    ]
    hooks.on_exit(server)
    assert started[1:] == ["shutdown", "closed"]
    assert hooks._State.server is None


def test_post_fork__tells_the_worker_how_many_workers_there_are(server):
    hooks.post_fork(server, SimpleNamespace(pid=123))
    assert os.environ["SERVICE_WORKERS"] == "3"
    assert hooks._State.worker_gauge is not None


def test_child_exit__drops_the_dead_workers_live_gauges(server, tmp_path):
    (tmp_path / "gauge_livesum_123.db").write_bytes(b"")
    (tmp_path / "gauge_livesum_456.db").write_bytes(b"")
    hooks._State.directory = tmp_path
    hooks.child_exit(server, SimpleNamespace(pid=123))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gauge_livesum_456.db"]


def test_worker_exit__runs_the_apps_shutdown_hooks(server, app):
    ran = []
    add_shutdown_hook(app, lambda: ran.append("closed"))
    hooks.worker_exit(server, SimpleNamespace(wsgi=app))
    assert ran == ["closed"]
    assert server.log.lines == []


def test_worker_exit__a_failing_hook_is_logged_by_type_and_the_worker_exits(server, app):
    def fail():
        raise ConnectionError("redis://:hunter2@cache")

    add_shutdown_hook(app, fail)
    hooks.worker_exit(server, SimpleNamespace(wsgi=app))
    assert server.log.lines == [("warning", "A shutdown hook of the app failed: ConnectionError")]


def test_worker_exit__app_never_loaded__nothing_to_run(server):
    hooks.worker_exit(server, SimpleNamespace())
    hooks.worker_exit(server, SimpleNamespace(wsgi=logging))
    assert server.log.lines == []


def test_gunicorn_defaults__every_name_they_export_is_a_setting_gunicorn_reads(tmp_path):
    conf = tmp_path / "gunicorn_conf.py"
    conf.write_text("from apps.kernel.gunicorn_defaults import *\n", encoding="utf-8")
    config = load_config(conf)  # refuses a name gunicorn would ignore
    assert (config.workers, config.worker_class_str, config.timeout) == (2, "sync", 30)
    assert config.graceful_timeout == 20
    hooks_set = {name: hook for name, hook in server_hooks(config).items() if name != "when_ready"}
    assert hooks_set == {name: hook for name, hook in KERNEL_HOOKS.items() if name != "when_ready"}
