"""The worked example of ``docs/ci-pipeline.md``, run as written on a corpus project.

The block after the ``<!-- worked-example -->`` marker is run by bash (``set -euo
pipefail``) in the project's checkout, every line but the install of ci-metrics
(the corpus env has this checkout's). Its coverage contexts must be the layers the
manifest names, so the comparisons that follow check the example's own figures.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "ci-pipeline.md"
MARKER = "<!-- worked-example -->"
INSTALL = "uv tool install "
_BLOCK = re.compile(r"```sh\n(.*?)\n```", re.DOTALL)
_CONTEXT = re.compile(r"--context=(\w+)")


class ExampleError(Exception):
    """The example is missing from the docs, or did not run through."""


def worked_example(doc: Path = DOC) -> str:
    """The example's script: the first ``sh`` block after the marker, install line left out."""
    text = doc.read_text(encoding="utf-8")
    if MARKER not in text:
        raise ExampleError(f"{doc}: no {MARKER} marker")
    block = _BLOCK.search(text, text.index(MARKER))
    if block is None:
        raise ExampleError(f"{doc}: no sh block after {MARKER}")
    lines = block.group(1).splitlines()
    if not lines or not lines[0].startswith(INSTALL):
        raise ExampleError(f"{doc}: the worked example does not start by installing ci-metrics")
    return "\n".join(lines[1:]) + "\n"


def contexts(script: str) -> set[str]:
    """The static coverage contexts the script's layers run under."""
    return set(_CONTEXT.findall(script))


def run_example(script: str, repo: Path) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in ``repo`` with this environment's tools first on the PATH.

    Its last command is ``ci-metrics gate``: exit 1 (a gate failed) is a result of
    the example, any other failure is an :class:`ExampleError`.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COVERAGE_", "COV_CORE", "PYTEST_", "PYTHONPATH", "VIRTUAL_ENV"))
    }
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    proc = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + script],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode not in (0, 1):
        raise ExampleError(
            f"the worked example failed ({proc.returncode}):\n{proc.stdout[-2000:]}"
            f"\n{proc.stderr[-3000:]}"
        )
    return proc
