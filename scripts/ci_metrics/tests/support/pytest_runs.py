"""Real pytest runs whose results the failure readers are tested on.

A small project (``suite``) holds a test of each kind the report tells apart:
one that fails in a helper below an installed library's frame, one whose
fixture errors, one that fails on its first attempt and passes on the rerun,
one that fails in the quarantine register, one that passes there, and one
whose message carries a token. ``run_suite`` runs it with pytest, the report
log and JUnit XML writers, pytest-rerunfailures (one rerun, as pull requests
run) and ci-metrics' own plugin, as the layers do, in a fresh process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

SECRET = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"

CONFTEST = """\
import pytest


@pytest.fixture
def broken_service():
    raise ConnectionError("service at 127.0.0.1:9 refused the connection")
"""

HELPERS = """\
import json


def parse(text):
    return json.loads(text)
"""

TESTS = f"""\
import pytest

from tests.helpers import parse

_attempts = []


def test_parses_config():
    assert parse("{{not json")


def test_talks_to_service(broken_service):
    pass


def test_flaky():
    _attempts.append(1)
    assert len(_attempts) > 1, "first attempt loses the race"


def test_racy():
    assert 2 == 1


def test_fixed_since():
    pass


def test_leaks_a_token():
    raise PermissionError("rejected Authorization: Bearer {SECRET} for " + "x" * 400)


@pytest.mark.parametrize("n", [1, 2])
def test_param(n):
    assert n == 1
"""

REGISTER = """\
# Quarantined tests

| Test | Owner | Issue | Reason | Review date |
|---|---|---|---|---|
| `tests/test_suite.py::test_racy` | @team | #12 | races the clock | 2099-01-01 |
| tests/test_suite.py::test_fixed_since | @team | https://example.com/13 | was racy | 2099-01-01 |
"""

PYPROJECT = """\
[tool.ci_metrics]
layers = { unit = [] }
quarantine = { register = "docs/quarantine.md" }
"""


def build_suite(root: Path) -> Path:
    """Write the project into ``root``."""
    files = {
        "pyproject.toml": PYPROJECT,
        "docs/quarantine.md": REGISTER,
        "tests/__init__.py": "",
        "tests/conftest.py": CONFTEST,
        "tests/helpers.py": HELPERS,
        "tests/test_suite.py": TESTS,
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


@dataclass(frozen=True)
class SuiteRun:
    """Where a run of the suite wrote its results, and how it ended."""

    root: Path
    report_log: Path
    junit: Path
    exit_code: int
    output: str


def run_suite(root: Path, name: str, *extra: str, color: bool = False) -> SuiteRun:
    """Run the suite in ``root`` with pytest in a fresh process; results named ``name``.

    With ``color``, as CI's layer jobs run it: ``FORCE_COLOR=1``, which pytest also
    applies to the failure text it writes into the JUnit XML.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "PY_COLORS", "NO_COLOR")}
    if color:
        env["FORCE_COLOR"] = "1"
    results = root / "results" / name
    results.mkdir(parents=True, exist_ok=True)
    report_log, junit = results / "report-log.jsonl", results / "junit.xml"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--disable-plugin-autoload",
            "-p",
            "pytest_reportlog",
            "-p",
            "rerunfailures",
            "-p",
            "ci_metrics.pytest_plugin",
            "-p",
            "no:cacheprovider",
            "-o",
            "xfail_strict=true",
            "-o",
            "junit_family=xunit2",
            "--reruns",
            "1",
            f"--report-log={report_log}",
            f"--junitxml={junit}",
            *extra,
            "tests",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return SuiteRun(root, report_log, junit, done.returncode, done.stdout + done.stderr)
