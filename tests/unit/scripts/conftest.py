"""Fixtures of the tooling layer for scripts/ci_metrics.

Real git repositories and a real (tiny) coverage run are built in temp folders;
GitHub is faked at the transport (``httpx.MockTransport``) or on loopback.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ci_metrics.context import Context
from ci_metrics.settings import Settings, Thresholds
from tests.unit.scripts.fake_github import FakeGitHub

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

COVERAGERC = """\
[run]
source = apps
omit = */__main__.py
branch = True
relative_files = True
context = ${COVERAGE_LAYER-local}
"""

API_V1 = """\
def handler(x):
    if x > 0:
        return "pos"
    return compute(
        x,
        1,
    )


def compute(a, b):
    return a - b
"""

API_V2 = """\
def handler(x):
    if x > 0:
        return "pos"
    return compute(
        x,
        2,
    )


def compute(a, b):
    return a - b


def fresh(flag):
    if flag:
        return 1
    return 2
"""

AUTH = """\
def issue(flag):
    \"\"\"Issue a token.

    A multi-line docstring: not a statement.
    \"\"\"
    if flag:
        return "token"
    return "none"
"""

RUN_API = "from apps.api.views import handler, fresh\nhandler(1)\nfresh(True)\n"
RUN_AUTH = (
    "from apps.auth_service.tokens import issue\nfrom apps.api.views import handler\n"
    "issue(True)\nissue(False)\nhandler(-1)\n"
)


def git(root: Path, *args: str) -> str:
    """Run git in ``root`` with a fixed identity; return stdout."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    return subprocess.run(
        ["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True
    ).stdout


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _coverage_run(root: Path, layer: str, script: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COV_CORE")}
    env["COVERAGE_LAYER"] = layer
    env.pop("COVERAGE_PROCESS_START", None)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "coverage",
            "run",
            "--rcfile=.coveragerc",
            f"--data-file=.coverage.{layer}",
            script,
        ],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="session")
def built_project(tmp_path_factory):
    """A git repository (main + a feature branch) with combined two-layer coverage data."""
    root = tmp_path_factory.mktemp("project")
    git(root, "init", "-q", "-b", "main")
    write(root, ".coveragerc", COVERAGERC)
    write(root, "apps/__init__.py", "")
    write(root, "apps/api/__init__.py", "")
    write(root, "apps/auth_service/__init__.py", "")
    write(root, "apps/api/views.py", API_V1)
    write(root, "apps/auth_service/tokens.py", AUTH)
    write(root, "apps/api/unused.py", "VALUE = 1\n\n\ndef never():\n    return VALUE\n")
    write(root, "apps/api/__main__.py", "print('omitted')\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "feature")
    write(root, "apps/api/views.py", API_V2)
    write(root, "run_api.py", RUN_API)
    write(root, "run_auth.py", RUN_AUTH)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "feature")
    _coverage_run(root, "api", "run_api.py")
    _coverage_run(root, "auth", "run_auth.py")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "coverage",
            "combine",
            "--keep",
            "--rcfile=.coveragerc",
            "--data-file=results/coverage/.coverage",
            ".coverage.api",
            ".coverage.auth",
        ],
        cwd=root,
        check=True,
        capture_output=True,
    )
    return root


@pytest.fixture
def project(built_project, tmp_path):
    """A private copy of the built project (tests may change it)."""
    target = tmp_path / "project"
    shutil.copytree(built_project, target, symlinks=True)
    return target


@pytest.fixture
def settings():
    """Settings for the sample project's two layers plus integration."""
    return Settings(
        layers={"api": ("apps/api",), "auth": ("apps/auth_service",), "integration": ()},
        thresholds=Thresholds(project_lines=80, project_branches=50, diff=75, layers={"api": 50.0}),
    )


class FakeClock:
    """Wall and monotonic time that move only when the code under test sleeps."""

    def __init__(self, start: float) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def make_context():
    """Factory: a Context with captured streams and a fake clock that records sleeps."""

    def make(environ=None, **overrides):
        clock = FakeClock(NOW.timestamp())
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

    return make


@pytest.fixture
def fake_github():
    """A fake GitHub REST API on 127.0.0.1 (port 0), stopped after the test."""
    server = FakeGitHub()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def write_json(path: Path, payload) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def file_entry(statements, missing=(), *, multiline=(), branches=None, layers=None):
    """A snapshot file entry from plain line lists."""
    from ci_metrics.model.lineranges import to_ranges

    return {
        "statements": to_ranges(statements),
        "missing": to_ranges(missing),
        "multiline": [list(m) for m in multiline],
        "branches": branches or {},
        "layers": {name: to_ranges(lines) for name, lines in (layers or {}).items()},
    }


@pytest.fixture
def make_snapshot():
    """Factory: a Snapshot from file entries and ``{layer: {nodeid: (outcome, secs, reruns)}}``."""
    from ci_metrics.model.outcomes import EnvTiming, TestResult
    from ci_metrics.model.snapshot import Snapshot

    def make(
        files=None,
        tests=None,
        timing=None,
        sha="a" * 40,
        run_id="7",
        created_at="2026-03-01T12:00:00+00:00",
    ):
        return Snapshot(
            created_at=created_at,
            sha=sha,
            run_id=run_id,
            files=files or {},
            tests={
                layer: {n: TestResult(*r) for n, r in res.items()}
                for layer, res in (tests or {}).items()
            },
            timing={k: EnvTiming(*v) for k, v in (timing or {}).items()},
        )

    return make


@pytest.fixture
def comment_file(tmp_path):
    """A rendered comment: the marker, then the report."""
    from tests.unit.scripts.github_cli import MARKER

    path = tmp_path / "comment.md"
    path.write_text(f"{MARKER}\n## report\n", encoding="utf-8")
    return path


@pytest.fixture
def gh_context(make_context, fake_github, tmp_path):
    """Factory: a Context aimed at the fake GitHub, with a token, PR 7's event and its run.

    Keyword arguments override environment variables; ``None`` removes one.
    """
    from tests.unit.scripts.fake_github import REPO
    from tests.unit.scripts.github_cli import HEAD, RUN_ENV, TOKEN

    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": HEAD}}}))

    def make(**extra):
        env = {
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_API_URL": fake_github.url,
            "GITHUB_EVENT_PATH": str(event),
            **RUN_ENV,
            **extra,
        }
        return make_context({k: v for k, v in env.items() if v is not None})

    return make
