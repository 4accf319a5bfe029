"""Fixtures of the ci_metrics layer; what they build lives in ``support/``.

GitHub is faked at the transport (``httpx.MockTransport``) or on loopback
(``support.fake_github``); git repositories, coverage runs and pytest runs are real,
in temp folders (pytester runs ci-metrics' pytest plugin in-process).
"""

from __future__ import annotations

import json
import shutil

import pytest

from ci_metrics.settings import Layer, Settings, Thresholds
from support.carry_project import build_carry_project
from support.context import make_context as _make_context
from support.fake_github import REPO, FakeGitHub
from support.github_cli import HEAD, MARKER, RUN_ENV, TOKEN
from support.plan_repo import build_plan_repo
from support.project import build_project
from support.pytest_runs import build_suite, run_suite
from support.snapshots import make_snapshot as _make_snapshot

pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def built_project(tmp_path_factory):
    """A git repository (main + a feature branch) with combined two-layer coverage data."""
    return build_project(tmp_path_factory.mktemp("project"))


@pytest.fixture(scope="session")
def suite_runs(tmp_path_factory):
    """The failing, erroring, flaky and quarantined suite, run by pytest as the layers run
    it: once with pytest's default tracebacks and once with ``--tb=short --showlocals``
    (this repository's) and colour forced, as CI's layer jobs run it."""
    root = build_suite(tmp_path_factory.mktemp("suite"))
    return {
        "long": run_suite(root, "long"),
        "short": run_suite(root, "short", "--tb=short", "--showlocals", color=True),
    }


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
        layers={
            "api": ("apps/api",),
            "auth": ("apps/auth_service",),
            "integration": Layer(owns=(), optional=True),
        },
        thresholds=Thresholds(project_lines=80, project_branches=50, diff=75, layers={"api": 50.0}),
    )


@pytest.fixture
def make_context():
    """Factory: a Context with captured streams and a fake clock that records sleeps."""
    return _make_context


@pytest.fixture
def make_snapshot():
    """Factory: a Snapshot from file entries and ``{layer: {nodeid: (outcome, secs, reruns)}}``."""
    return _make_snapshot


@pytest.fixture
def fake_github():
    """A fake GitHub REST API on 127.0.0.1 (port 0), stopped after the test."""
    server = FakeGitHub()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def comment_file(tmp_path):
    """A rendered comment: the marker, then the report."""
    path = tmp_path / "comment.md"
    path.write_text(f"{MARKER}\n## report\n", encoding="utf-8")
    return path


@pytest.fixture
def gh_context(fake_github, tmp_path):
    """Factory: a Context aimed at the fake GitHub, with a token, PR 7's event and its run.

    Keyword arguments override environment variables; ``None`` removes one.
    """
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
        return _make_context({k: v for k, v in env.items() if v is not None})

    return make


@pytest.fixture
def plan_repo(tmp_path):
    """A git repository with five layers (``support/plan_repo.py``), ``feature`` checked out."""
    return build_plan_repo(tmp_path)


@pytest.fixture(scope="session")
def carry_project(tmp_path_factory):
    """Three layers measured at ``main`` (snapshot kept) and after a change on ``feature``:
    every layer into ``all/``, layer ``a`` alone into ``fresh/`` (``support/carry_project.py``).
    Tests must not change it."""
    return build_carry_project(tmp_path_factory.mktemp("carry"))
