#!/usr/bin/env python3
"""Run the project's jobs on a machine that has only Python 3.11+ and git.

    python3 dev.py ci      the pull-request checks, locally: lint, every layer in
                           parallel, combined coverage, then the PR report
    python3 dev.py test    the whole test suite (every layer, coverage, docs, and the
                           real-world corpus check, which fetches its sdists once)
    python3 dev.py tox -e api -- -k tenant    any tox command
    python3 dev.py tox -e api -x testenv.base_python=3.13
                           a layer on another Python (one that is on PATH)

The first run creates ``.venv-tools/`` holding tox, tox-uv and uv at the versions
pinned in ``.ci/tools.txt`` (tox-uv then provisions each environment with uv, from
uv.lock); later runs reuse it, and reinstall when the pins move. Nothing is
installed outside the repository. After a run, one line sums up the tests
from the layers' JUnit files, so the outcome is visible even when tox's
parallel mode hid the layers' own output.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

from scripts.layer_registry import RegistryError, load_layers

ROOT = Path(__file__).resolve().parent
TOOLS = ROOT / ".venv-tools"
#: Exact versions of tox, tox-uv and uv, so every machine provisions the envs (and
#: reads uv.lock) with the same tools; the workflows install the same file.
TOOL_PINS = ROOT / ".ci" / "tools.txt"
JOBS = {
    "ci": [["-m", "ci", "-p", "auto"]],
    "test": [["-m", "test", "-p", "auto"]],
}


def tool(name: str) -> Path:
    folder = "Scripts" if os.name == "nt" else "bin"
    return TOOLS / folder / name


def requirements(path: Path = TOOL_PINS) -> list[str]:
    """The pinned requirements of ``path``: every line but comments and blanks."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def ensure_tools() -> None:
    stamp = TOOLS / "requirements.txt"
    pins = requirements()
    wanted = "\n".join(pins) + "\n"
    if stamp.exists() and stamp.read_text() == wanted and tool("tox").exists():
        return
    print(f"dev.py: installing {', '.join(pins)} into {TOOLS.name}/", flush=True)
    venv.EnvBuilder(with_pip=True, clear=True).create(TOOLS)
    pip = [str(tool("python")), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, *pins], check=True)
    stamp.write_text(wanted)


def tox(args: list[str]) -> int:
    command = [str(tool("tox")), *args]
    print("dev.py: " + " ".join(["tox", *args]), flush=True)
    return subprocess.run(command, cwd=ROOT, check=False).returncode


def summarize(results: Path, layers: Iterable[str] | None = None) -> str | None:
    """One closing line over every CI layer's JUnit XML, or None if there is none.

    The layers are the registry's (``[tool.ci_metrics.layers]``) unless given.
    """
    totals = {"passed": 0, "failed": 0, "skipped": 0}
    names = list(load_layers(ROOT / "pyproject.toml")) if layers is None else list(layers)
    # One file per Python version (and shard) a layer ran on: junit-py3.13.xml.
    files = [path for layer in names for path in sorted((results / layer).glob("junit*.xml"))]
    for path in files:
        root = ET.parse(path).getroot()  # noqa: S314 - our own JUnit files
        for suite in root.iter("testsuite"):
            tests = int(suite.get("tests", 0))
            failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            skipped = int(suite.get("skipped", 0))
            totals["failed"] += failed
            totals["skipped"] += skipped
            totals["passed"] += tests - failed - skipped
    if not files:
        return None
    layers = ", ".join(dict.fromkeys(path.parent.name for path in files))
    return (
        f"layers ({layers}):\n"
        f"tests: {totals['passed']} passed, {totals['failed']} failed, {totals['skipped']} skipped"
    )


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in (*JOBS, "tox"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be started by any python3
        print("dev.py: Python 3.11 or newer is required", file=sys.stderr)
        return 2
    ensure_tools()
    if argv[0] == "tox":
        return tox(argv[1:])
    code = 0
    for args in JOBS[argv[0]]:
        code = tox(args)
        if code != 0:
            break
    try:
        line = summarize(ROOT / "results")
    except RegistryError as exc:
        print(f"dev.py: {exc}", file=sys.stderr)
        return code or 2
    if line:
        print(line, flush=True)
    comment = ROOT / "results" / "report" / "comment.md"
    if argv[0] == "ci" and code == 0 and comment.exists():
        print(f"PR comment: {comment.relative_to(ROOT)} (full report: summary.md beside it)")
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
