"""Build ci-metrics' wheel and sdist, check them, install each way its users do, run it.

    python -m tests.distribution     (tox -e dist)

In a temporary folder: ``uv build`` makes the sdist of ``scripts/ci_metrics`` and
the wheel from that sdist; ``twine check --strict`` reads their metadata as PyPI would;
the metadata must carry the license (expression and file), classifiers, project
URLs and the README; then the wheel is installed with ``uv tool install`` and with
``pipx install``, each at the versions of ``uv.lock`` (fetched from the package
index), and each installed ``ci-metrics --help`` must run. Exit 1 naming what is
missing, else print one line per step with its time.
"""

from __future__ import annotations

import email.parser
import os
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ROOT / "scripts" / "ci_metrics"
#: Metadata fields a complete distribution carries, and what each one is for.
REQUIRED_METADATA = {
    "License-Expression": "the license",
    "License-File": "the license file",
    "Classifier": "classifiers",
    "Project-URL": "project URLs",
    "Description-Content-Type": "the README's format",
    "Requires-Python": "the Python versions",
}


class DistributionError(Exception):
    """A step failed or the distribution lacks something: the message says what."""


def _run(args: Sequence[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> str:
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise DistributionError(
            f"{' '.join(args[:5])} failed ({proc.returncode}):\n{proc.stderr[-2000:]}"
        )
    return proc.stdout


def _step(name: str, start: float) -> None:
    print(f"dist: {name} ({time.perf_counter() - start:.1f}s)")


def check_metadata(wheel: Path, sdist: Path) -> list[str]:
    """What the wheel's metadata or the sdist's files lack, in words."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = email.parser.Parser().parsestr(archive.read(name).decode("utf-8"))
        files = archive.namelist()
    problems = [
        f"the wheel's metadata has no {field} ({what})"
        for field, what in REQUIRED_METADATA.items()
        if not metadata.get_all(field)
    ]
    if not metadata.get_payload():
        problems.append("the wheel's metadata has no long description (the README)")
    if not any(n.endswith("/licenses/LICENSE") for n in files):
        problems.append("the wheel does not hold the LICENSE file")
    if not any(n.endswith("ci_metrics/render/templates/comment.md.j2") for n in files):
        problems.append("the wheel does not hold the comment template")
    with tarfile.open(sdist) as archive:
        members = {Path(m).name for m in archive.getnames()}
    problems += [
        f"the sdist does not hold {f}" for f in ("LICENSE", "README.md") if f not in members
    ]
    return problems


def check(work: Path) -> None:
    uv = [sys.executable, "-m", "uv"]
    start = time.perf_counter()
    # The wheel is built from the sdist, as an installer would, and in its own folder:
    # nothing (setuptools' build/) is left in the work tree.
    _run([*uv, "build", "--out-dir", str(work / "dist"), str(PROJECT)])
    wheel, sdist = next((work / "dist").glob("*.whl")), next((work / "dist").glob("*.tar.gz"))
    _step(f"built {wheel.name} and {sdist.name}", start)
    start = time.perf_counter()
    _run([sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)])
    problems = check_metadata(wheel, sdist)
    if problems:
        raise DistributionError("; ".join(problems))
    _step("twine check --strict passed; license, classifiers, URLs and README present", start)
    constraints = work / "constraints.txt"
    _run([*uv, "export", "--locked", "--package", "ci-metrics", "--no-emit-workspace",
          "--no-hashes", "--output-file", str(constraints)])  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIPX_", "VIRTUAL_ENV"))}
    start = time.perf_counter()
    uv_env = {**env, "UV_TOOL_DIR": str(work / "uv-tools"), "UV_TOOL_BIN_DIR": str(work / "uv-bin")}
    _run([*uv, "tool", "install", "--python", sys.executable, "--constraints", str(constraints),
          str(wheel)], uv_env)  # fmt: skip
    _help(work / "uv-bin" / "ci-metrics", "uv tool install", start)
    start = time.perf_counter()
    pipx_env = {**env, "PIPX_HOME": str(work / "pipx"), "PIPX_BIN_DIR": str(work / "pipx-bin")}
    _run([sys.executable, "-m", "pipx", "install", "--python", sys.executable,
          "--pip-args", f"--constraint {constraints}", str(wheel)], pipx_env)  # fmt: skip
    _help(work / "pipx-bin" / "ci-metrics", "pipx install", start)


def _help(script: Path, how: str, start: float) -> None:
    out = _run([str(script), "--help"], cwd=script.parent)
    if "usage: ci-metrics" not in out or "init" not in out:
        raise DistributionError(f"{how}: `ci-metrics --help` printed no usage:\n{out[:500]}")
    _step(f"{how}: ci-metrics --help runs", start)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="ci-metrics-dist-") as tmp:
        try:
            check(Path(tmp))
        except DistributionError as exc:
            print(f"dist: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
