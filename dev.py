#!/usr/bin/env python3
"""Run the project's jobs on a machine that has only Python 3.11+ and git.

    python3 dev.py ci      the pull-request checks, locally: lint, every layer in
                           parallel, combined coverage, then the PR report
    python3 dev.py ci --changed [--base REF]
                           the same for the layers the change since the merge base
                           with REF needs (ci-metrics plan); the others are carried
                           from the snapshot of an earlier full run
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

A full ``ci`` on a clean work tree keeps its snapshot as
``results/snapshots/<commit>.json``: the base a later ``ci --changed`` carries
layers from (the merge base's, or its nearest first-parent ancestor's). Without
one, ``--changed`` says so and runs every layer.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
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
RESULTS = ROOT / "results"
#: Where a full ``ci`` keeps its snapshot, by commit, for ``ci --changed``.
SNAPSHOTS = RESULTS / "snapshots"
#: What ``ci-metrics plan`` writes (the tox env ``plan``): the plan and its base snapshot.
PLAN_DIR = RESULTS / "plan"
NOT_KEPT = (
    "no snapshot kept: the work tree had changes (or changed during the run); "
    "a full run of a clean commit is the base of a later `ci --changed`"
)


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


def ci_options(argv: list[str]) -> tuple[bool, str | None] | None:
    """``ci``'s options: (``--changed``, ``--base`` REF); ``None`` for anything else."""
    changed, base, rest = False, None, list(argv)
    while rest:
        arg = rest.pop(0)
        if arg == "--changed":
            changed = True
        elif arg == "--base" and rest:
            base = rest.pop(0)
        elif arg.startswith("--base="):
            base = arg.split("=", 1)[1]
        else:
            return None
    if base is not None and (not changed or not base):
        return None
    return changed, base


def git(*args: str) -> str | None:
    """``git``'s output in the repository, or ``None`` when it fails."""
    proc = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def clean_head() -> str | None:
    """HEAD's commit when the work tree has no change (ignored files aside), else ``None``."""
    if git("status", "--porcelain", "--untracked-files=normal") != "":
        return None
    return git("rev-parse", "HEAD")


def keep_snapshot(results: Path, head: str | None) -> Path | None:
    """Keep the run's snapshot as ``<results>/snapshots/<head>.json``, naming its commit;
    nothing when the run was not of a clean ``head``, or wrote no snapshot."""
    source = results / "ci_metrics" / "snapshot.json"
    if head is None or not source.is_file():
        return None
    try:
        doc = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict):
        return None
    doc["sha"] = head
    target = results / "snapshots" / f"{head}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(doc, handle, sort_keys=True, separators=(",", ":"))
    os.replace(temporary, target)
    return target


def read_plan(path: Path) -> dict[str, object] | None:
    """The plan ``ci-metrics plan`` wrote, or ``None`` when there is no readable one."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    layers = doc.get("layers") if isinstance(doc, dict) else None
    if not isinstance(layers, dict) or not isinstance(doc.get("full"), str):
        return None
    return doc


def planned(plan: dict[str, object], layers: Iterable[str]) -> tuple[list[str], list[str]]:
    """The registry's ``layers`` the plan runs, and those it carries; a layer the plan
    does not name runs."""
    table = plan.get("layers")
    if not isinstance(table, dict):
        return list(layers), []
    run, carried = [], []
    for layer in layers:
        entry = table.get(layer)
        runs = not isinstance(entry, dict) or entry.get("run") is not False
        (run if runs else carried).append(layer)
    return run, carried


def clear_layer_outputs(results: Path, layers: Iterable[str]) -> None:
    """Remove what earlier layer runs left, so that only this run's layers are read as run."""
    for layer in layers:
        shutil.rmtree(results / layer, ignore_errors=True)
    shutil.rmtree(results / "coverage" / "layers", ignore_errors=True)
    (results / "coverage" / ".coverage").unlink(missing_ok=True)


def ci_changed(base: str | None, layers: list[str]) -> int:
    """``ci --changed``: plan, run lint and the planned layers, carry the others, report."""
    report_args = ["--", "--base", base] if base else []
    plan_args = ["-e", "plan", *report_args]
    plan = read_plan(PLAN_DIR / "plan.json") if tox(plan_args) == 0 else None
    if plan is None:
        print("dev.py: no plan could be made: running every layer", flush=True)
        run, carried = layers, []
    elif plan["full"]:
        print(f"dev.py: every layer runs: {plan['full']}", flush=True)
        run, carried = layers, []
    else:
        run, carried = planned(plan, layers)
    head = None if carried else clean_head()
    clear_layer_outputs(RESULTS, layers)
    print(f"dev.py: running {', '.join(['lint', *run])}; carrying {', '.join(carried) or 'none'}")
    codes = [tox(["-p", "auto", "-e", ",".join(["lint", *run])])]
    carry = ["--", "--carry", str(PLAN_DIR / "plan.json")] if carried else []
    codes.append(tox(["-e", "coverage", *carry]))
    # The HTML pages show coverage data, which a run of no layer has none of.
    codes.append(tox(["-e", "report,html" if run else "report", *report_args]))
    kept = keep_snapshot(RESULTS, head) if head and head == clean_head() else None
    if kept:
        print(f"dev.py: kept the snapshot as {os.path.relpath(kept, ROOT)}")
    if carried and plan is not None:
        print(f"dev.py: {carried_line(plan, carried)}")
    return next((code for code in codes if code), 0)


def carried_line(plan: dict[str, object], carried: list[str]) -> str:
    """``carried (not run): api, auth from `abc1234```: what the summary line leaves out."""
    base = plan.get("base")
    sha = str(base.get("sha", "")) if isinstance(base, dict) else ""
    return f"carried (not run): {', '.join(carried)} from `{sha[:7] or '?'}`"


def main(argv: list[str]) -> int:
    options = ci_options(argv[1:]) if argv[:1] == ["ci"] else (False, None)
    if not argv or argv[0] not in (*JOBS, "tox") or options is None:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be started by any python3
        print("dev.py: Python 3.11 or newer is required", file=sys.stderr)
        return 2
    ensure_tools()
    if argv[0] == "tox":
        return tox(argv[1:])
    try:
        layers = list(load_layers(ROOT / "pyproject.toml"))
    except RegistryError as exc:
        print(f"dev.py: {exc}", file=sys.stderr)
        return 2
    if argv[0] == "ci":
        # A plan or base snapshot of an earlier run must not be read as this run's.
        shutil.rmtree(PLAN_DIR, ignore_errors=True)
    if options[0]:
        code = ci_changed(options[1], layers)
    else:
        head = clean_head() if argv[0] == "ci" else None
        code = 0
        for args in JOBS[argv[0]]:
            code = tox(args)
            if code != 0:
                break
        kept = keep_snapshot(RESULTS, head) if head and head == clean_head() else None
        if kept:
            print(f"dev.py: kept the snapshot as {os.path.relpath(kept, ROOT)}")
        elif argv[0] == "ci":
            print(f"dev.py: {NOT_KEPT}")
    line = summarize(RESULTS, layers)
    if line:
        print(line, flush=True)
    comment = RESULTS / "report" / "comment.md"
    if argv[0] == "ci" and code == 0 and comment.exists():
        print(f"PR comment: {comment.relative_to(ROOT)} (full report: summary.md beside it)")
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
