"""Test outcomes and durations from JUnit XML, pytest report logs and tox result JSON.

A layer may run on several Python versions: a ``-py<major>.<minor>`` part in a
result file's name (``junit-py3.13.xml``, ``report-log-py3.13-2.jsonl``,
``tox-result-py3.13.json``) says which version wrote it. Files without one are
one unnamed version (``""``).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ci_metrics.errors import InputError
from ci_metrics.model.outcomes import EnvTiming, TestResult, merge_versions

_PYTHON_TAG = re.compile(r"-py(\d+\.\d+)(?=[-.])")


def python_of(path: Path) -> str:
    """The Python version a result file's name carries (``"3.13"``), else ``""``."""
    match = _PYTHON_TAG.search(path.name)
    return match.group(1) if match else ""


def read_report_log(path: Path) -> dict[str, TestResult]:
    """Read a pytest-reportlog file; reruns (``outcome: "rerun"``) restart the test's tally."""
    state: dict[str, dict[str, Any]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read report log {path}: {exc.strerror}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            raise InputError(f"{path}:{number}: not a JSON line") from None
        if not isinstance(entry, dict) or entry.get("$report_type") != "TestReport":
            continue
        nodeid, outcome = entry.get("nodeid"), entry.get("outcome")
        if not isinstance(nodeid, str) or not isinstance(outcome, str):
            raise InputError(f"{path}:{number}: test report without nodeid or outcome")
        duration = entry.get("duration") or 0.0
        item = state.setdefault(nodeid, {"outcome": "passed", "duration": 0.0, "reruns": 0})
        if outcome == "rerun":
            item.update(outcome="passed", duration=0.0, reruns=item["reruns"] + 1)
            continue
        item["duration"] += float(duration)
        if "wasxfail" in entry and outcome in ("skipped", "passed"):
            outcome = "xfailed" if outcome == "skipped" else "xpassed"
        if outcome == "failed":
            item["outcome"] = "failed"
        elif outcome in ("skipped", "xfailed", "xpassed") and item["outcome"] != "failed":
            item["outcome"] = outcome
    return {
        nodeid: TestResult(v["outcome"], round(v["duration"], 6), v["reruns"])
        for nodeid, v in state.items()
    }


def read_junit(path: Path) -> dict[str, TestResult]:
    """Read a JUnit XML file; a test is named ``<classname>::<name>``."""
    try:
        root = ET.parse(path).getroot()  # noqa: S314  (trusted: produced by pytest)
    except ET.ParseError as exc:
        raise InputError(f"{path}: malformed JUnit XML: {exc}") from None
    except OSError as exc:
        raise InputError(f"cannot read JUnit XML {path}: {exc.strerror}") from None
    results: dict[str, TestResult] = {}
    for case in root.iter("testcase"):
        name = case.get("name")
        if not name:
            raise InputError(f"{path}: <testcase> without a name")
        classname = case.get("classname", "")
        nodeid = f"{classname}::{name}" if classname else name
        outcome = "passed"
        if case.find("failure") is not None or case.find("error") is not None:
            outcome = "failed"
        elif (skipped := case.find("skipped")) is not None:
            outcome = "xfailed" if skipped.get("type") == "pytest.xfail" else "skipped"
        try:
            duration = float(case.get("time", "0") or 0)
        except ValueError:
            raise InputError(f"{path}: test {nodeid}: time is not a number") from None
        results[nodeid] = TestResult(outcome, duration)
    return results


def read_layer_runs(layer_dir: Path) -> dict[str, dict[str, TestResult]] | None:
    """A layer's results per Python version: its report logs when present (they see
    reruns), else JUnit XML; ``None`` when the folder holds neither.

    Shards of a layer write ``report-log-<n>.jsonl`` / ``junit-<n>.xml`` (after the
    version: ``junit-py3.13-2.xml``); the shards of one version are merged.
    """
    for pattern, reader in (("report-log*.jsonl", read_report_log), ("junit*.xml", read_junit)):
        paths = sorted(layer_dir.glob(pattern))
        if paths:
            runs: dict[str, dict[str, TestResult]] = {}
            for path in paths:
                runs.setdefault(python_of(path), {}).update(reader(path))
            return runs
    return None


def read_layer_results(layer_dir: Path) -> dict[str, TestResult] | None:
    """A layer's results over all its Python versions (:func:`merge_versions`)."""
    runs = read_layer_runs(layer_dir)
    return None if runs is None else merge_versions(runs)


def _elapsed(commands: Any) -> float:
    if not isinstance(commands, list):
        return 0.0
    total = 0.0
    for command in commands:
        if isinstance(command, Mapping) and isinstance(command.get("elapsed"), int | float):
            total += float(command["elapsed"])
    return total


def read_tox_results(paths: Iterable[Path]) -> dict[str, EnvTiming]:
    """Setup and command time per tox environment from one or more ``--result-json`` files.

    The shards of one Python version add up (the layer's total test time); of several
    versions, which run side by side, the slowest counts.
    """
    per_version: dict[tuple[str, str], EnvTiming] = {}
    for path in paths:
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"cannot read tox result JSON {path}: {exc}") from None
        envs = payload.get("testenvs") if isinstance(payload, Mapping) else None
        if not isinstance(envs, Mapping):
            raise InputError(f"{path}: not a tox result JSON (no 'testenvs' table)")
        for name, env in envs.items():
            if isinstance(env, Mapping):
                key = (str(name), python_of(path))
                old = per_version.get(key, EnvTiming(0.0, 0.0))
                per_version[key] = EnvTiming(
                    setup=round(old.setup + _elapsed(env.get("setup")), 6),
                    test=round(old.test + _elapsed(env.get("test")), 6),
                )
    timings: dict[str, EnvTiming] = {}
    for (name, _python), timing in sorted(per_version.items()):
        old = timings.get(name, timing)
        timings[name] = EnvTiming(max(old.setup, timing.setup), max(old.test, timing.test))
    return timings
