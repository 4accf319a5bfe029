"""The sample project the CLI tests run on: a real git repository with two layers' coverage.

Real git repositories and a real (tiny) coverage run are built in temp folders;
``build_project`` makes the one most tests copy (``conftest.py``'s ``project``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

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


def coverage(root: Path, *args: str, **env: str) -> None:
    """Run ``coverage <args>`` in ``root`` as a process of its own: the settings of the run
    that measures these tests (``COV_CORE_*``, ``COVERAGE_*``, ``PYTEST*``) stay out,
    ``env`` adds variables."""
    own = ("COV_CORE", "COVERAGE", "PYTEST")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(own)}
    subprocess.run(
        [sys.executable, "-m", "coverage", *args],
        cwd=root,
        env={**clean, **env},
        check=True,
        capture_output=True,
    )


def write_json(path: Path, payload: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def build_project(root: Path) -> Path:
    """A git repository in ``root`` (main + a feature branch) with combined two-layer
    coverage data in ``results/coverage/.coverage``."""
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
    for layer in ("api", "auth"):
        run = ("run", "--rcfile=.coveragerc", f"--data-file=.coverage.{layer}", f"run_{layer}.py")
        coverage(root, *run, COVERAGE_LAYER=layer)
    data = ("--data-file=results/coverage/.coverage", ".coverage.api", ".coverage.auth")
    coverage(root, "combine", "--keep", "--rcfile=.coveragerc", *data)
    return root
