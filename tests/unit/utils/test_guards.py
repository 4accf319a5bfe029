"""The root conftest's guards, tested directly and through a pytest run."""

import gc
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import flask
import pytest
import pytest_socket

from tests.utils import guards

ROOT_CONFTEST = Path(__file__).resolve().parents[2] / "conftest.py"
REPO_ROOT = ROOT_CONFTEST.parents[1]


def test_service_env_names__selects_only_service_variables():
    environ = [
        "API_JWKS_URL",
        "AUTH_SERVICE_CONFIG",
        "LOG_LEVEL",
        "GITHUB_TOKEN",
        "CI_METRICS_X",
        "REDIS_URL",
        "SERVICE_WORKERS",
        "SERVER_SOFTWARE",
        "PATH",
        "HOME",
        "APIX",
    ]
    assert guards.service_env_names(environ) == [
        "API_JWKS_URL",
        "AUTH_SERVICE_CONFIG",
        "CI_METRICS_X",
        "GITHUB_TOKEN",
        "LOG_LEVEL",
        "REDIS_URL",
        "SERVER_SOFTWARE",
        "SERVICE_WORKERS",
    ]


def test_pop_leaked_flask_contexts__pops_and_names_them():
    app = flask.Flask("leaky")
    app.app_context().push()
    app.test_request_context("/leak").push()
    popped = list(guards.pop_leaked_flask_contexts())
    assert popped == ["request context for '/leak'", "app context of 'leaky'"]
    assert not flask.has_app_context()


def test_pop_leaked_flask_contexts__a_process_without_flask_pops_nothing_and_imports_nothing():
    code = (
        "import sys\n"
        "from tests.utils import guards\n"
        "assert list(guards.pop_leaked_flask_contexts()) == []\n"
        "print('flask' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False"


def test_tooling_layer__may_connect_to_loopback_only():
    # This test is in the tooling layer: loopback is allowed...
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
    # ...anything else is refused before a packet leaves.
    with (
        socket.socket() as sock,
        pytest.raises(
            (pytest_socket.SocketConnectBlockedError, UserWarning), match=r'host "192\.0\.2\.1"'
        ),
    ):
        sock.connect(("192.0.2.1", 80))


REGISTRY = """
[tool.ci_metrics.layers.api]
owns = []
tests = ["tests/unit/api"]
workers = 0
network = "none"

[tool.ci_metrics.layers.integration]
owns = []
tests = ["tests/integration"]
workers = 0
network = "loopback"
"""


@pytest.fixture
def suite(pytester):
    """A throwaway test tree with its own layer registry, the layers' plugin and the
    real root conftest."""
    pytester.makeconftest(ROOT_CONFTEST.read_text())
    # No __init__.py: a `tests` package here would be the repository's own.
    for folder in ("tests/unit/api", "tests/integration"):
        (pytester.path / folder).mkdir(parents=True)
    pytester.makefile(".toml", pyproject=REGISTRY)
    pytester.makeini("[pytest]\naddopts = -p tests.utils.layer_plugins")
    return pytester


def _run(pytester, *args):
    # The plugin reads the registry beside the ini: pytester's root.
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", *args)


def test_layer_plugin_and_root_conftest__mark_and_guard_a_real_run(suite, monkeypatch):
    (suite.path / "tests/unit/api/test_api_guards.py").write_text(
        textwrap.dedent(
            """
            import os, socket, flask, pytest, pytest_socket

            def test_env_is_scrubbed():
                assert "API_SECRET" not in os.environ
                assert os.environ["KEEP_ME"] == "1"

            def test_network_is_blocked():
                # pytest-socket warns, then raises; under filterwarnings=error the
                # warning is what surfaces. Either way the socket never opens.
                with pytest.raises((pytest_socket.SocketBlockedError, UserWarning),
                                   match="tried to use socket.socket"):
                    socket.socket(socket.AF_INET, socket.SOCK_STREAM)

            def test_unix_sockets_stay_allowed():
                a, b = socket.socketpair()
                a.close(); b.close()

            def test_leaks_a_context():
                flask.Flask("leaky").app_context().push()
            """
        )
    )
    (suite.path / "tests/integration/test_integration_marker.py").write_text(
        "def test_runs():\n    assert True\n"
    )
    (suite.path / "test_outside_every_layer.py").write_text("def test_x():\n    pass\n")
    monkeypatch.setenv("API_SECRET", "s3cr3t")
    monkeypatch.setenv("KEEP_ME", "1")
    result = _run(suite, "-m", "api", "--strict-markers")
    result.assert_outcomes(passed=4, errors=1, deselected=2)
    result.stdout.fnmatch_lines(["*test left Flask context(s) pushed: app context of 'leaky'*"])
    assert not flask.has_app_context()

    unit = _run(suite, "-m", "unit", "--collect-only", "-q")
    unit.stdout.fnmatch_lines(["*4/6 tests collected (2 deselected)*"])
    integration = _run(suite, "-m", "integration", "--collect-only", "-q")
    integration.stdout.fnmatch_lines(["*1/6 tests collected*"])
    (suite.path / "tests/unit/api/test_unknown_marker.py").write_text(
        "import pytest\n\n@pytest.mark.nope\ndef test_x():\n    pass\n"
    )
    strict = _run(suite, "--strict-markers", "tests/unit/api/test_unknown_marker.py")
    strict.stdout.fnmatch_lines(["*'nope' not found in `markers` configuration option*"])


def test_pytest__loads_the_declared_plugins_not_whatever_is_installed(pytestconfig):
    """Autoloading is off (pytest.ini): anyio comes with httpx in every env and registers
    a plugin no test uses, so it stays unloaded; the `test` group's plugins load (a
    layer's own, hypothesis's, are tested in test_layer_plugins.py)."""
    from importlib.metadata import entry_points

    assert "anyio" in {ep.name for ep in entry_points(group="pytest11")}
    manager = pytestconfig.pluginmanager
    assert not manager.has_plugin("anyio")
    for name in ("pytest_cov", "xdist", "pytest_reportlog", "pytest_socket", "rerunfailures"):
        assert manager.has_plugin(name), name


def test_root_conftest__collector_is_back_on_for_the_tests_with_start_up_frozen():
    """Off during start-up only: a test runs with the collector on, and what was
    alive when collection ended is frozen out of its passes."""
    assert gc.isenabled()
    assert gc.get_freeze_count() > 1000
