"""Test outcomes and durations from JUnit XML, pytest report logs and tox result JSON.

A layer may run on several Python versions: a ``-py<major>.<minor>`` part in a
result file's name (``junit-py3.13.xml``, ``report-log-py3.13-2.jsonl``,
``tox-result-py3.13.json``) says which version wrote it. Files without one are
one unnamed version (``""``).

A failed test keeps why it failed (:mod:`ci_metrics.inputs.failures`), a flaky
one why it failed before its rerun passed. A test ci-metrics' pytest plugin
quarantined carries its tag (a user property): its expected failure is
``quarantined``, its unexpected pass a pass.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ci_metrics.errors import InputError
from ci_metrics.inputs.failures import Locate, from_junit, from_longrepr
from ci_metrics.inputs.quarantine import TAG
from ci_metrics.model.failures import Failure
from ci_metrics.model.outcomes import EnvTiming, TestResult, merge_versions

_PYTHON_TAG = re.compile(r"-py(\d+\.\d+)(?=[-.])")


def python_of(path: Path) -> str:
    """The Python version a result file's name carries (``"3.13"``), else ``""``."""
    match = _PYTHON_TAG.search(path.name)
    return match.group(1) if match else ""


def _nowhere(_path: str) -> str | None:
    return None


def _tagged(properties: Any) -> bool:
    """Whether a report's ``user_properties`` carry the quarantine tag."""
    return isinstance(properties, list) and any(
        isinstance(pair, list) and pair[:1] == [TAG] for pair in properties
    )


def _final(item: dict[str, Any]) -> TestResult:
    outcome, failure = item["outcome"], item["failure"]
    if item["quarantined"] and outcome in ("xfailed", "xpassed"):
        outcome = "quarantined" if outcome == "xfailed" else "passed"
    if outcome not in ("failed", "quarantined"):
        # A flaky test keeps why it failed before the rerun that passed.
        failure = item["rerun_failure"] if item["reruns"] and outcome == "passed" else None
    return TestResult(outcome, round(item["duration"], 6), item["reruns"], failure)


def read_report_log(path: Path, locate: Locate = _nowhere) -> dict[str, TestResult]:
    """Read a pytest-reportlog file; reruns (``outcome: "rerun"``) restart the test's tally.

    ``locate`` maps the traceback's paths to the work tree's (no failing line without it).
    """
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
        item = state.setdefault(
            nodeid,
            {
                "outcome": "passed",
                "duration": 0.0,
                "reruns": 0,
                "failure": None,
                "rerun_failure": None,
                "quarantined": False,
            },
        )
        item["quarantined"] |= _tagged(entry.get("user_properties"))
        if outcome == "rerun":
            item.update(outcome="passed", duration=0.0, reruns=item["reruns"] + 1, failure=None)
            item["rerun_failure"] = item["rerun_failure"] or _cause(entry, path, number, locate)
            continue
        item["duration"] += float(duration)
        if "wasxfail" in entry and outcome in ("skipped", "passed"):
            outcome = "xfailed" if outcome == "skipped" else "xpassed"
        if outcome in ("failed", "xfailed") and item["failure"] is None:
            item["failure"] = _cause(entry, path, number, locate)
        if outcome == "failed":
            item["outcome"] = "failed"
        elif outcome in ("skipped", "xfailed", "xpassed") and item["outcome"] != "failed":
            item["outcome"] = outcome
    return {nodeid: _final(item) for nodeid, item in state.items()}


def _cause(entry: dict[str, Any], path: Path, number: int, locate: Locate) -> Failure:
    when = entry.get("when")
    return from_longrepr(
        entry.get("longrepr"),
        when if isinstance(when, str) else "call",
        locate,
        f"{path}:{number} ({entry['nodeid']})",
    )


def read_junit(path: Path, locate: Locate = _nowhere) -> dict[str, TestResult]:
    """Read a JUnit XML file; a test is named ``<classname>::<name>``.

    JUnit keeps no traceback of an expected failure: a quarantined test's cause is
    missing from it (the report log has it).
    """
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
        outcome, failure = "passed", None
        problem = case.find("failure")
        problem = problem if problem is not None else case.find("error")
        if problem is not None:
            outcome, failure = "failed", from_junit(problem, locate, f"{path} ({nodeid})")
        elif (skipped := case.find("skipped")) is not None:
            outcome = "xfailed" if skipped.get("type") == "pytest.xfail" else "skipped"
        if outcome == "xfailed" and any(p.get("name") == TAG for p in case.iter("property")):
            outcome = "quarantined"
            failure = Failure(
                missing=f"{path} ({nodeid}): JUnit XML keeps no traceback of an expected failure"
            )
        try:
            duration = float(case.get("time", "0") or 0)
        except ValueError:
            raise InputError(f"{path}: test {nodeid}: time is not a number") from None
        results[nodeid] = TestResult(outcome, duration, failure=failure)
    return results


def read_layer_runs(
    layer_dir: Path, locate: Locate = _nowhere
) -> dict[str, dict[str, TestResult]] | None:
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
                runs.setdefault(python_of(path), {}).update(reader(path, locate))
            return runs
    return None


def read_layer_results(layer_dir: Path, locate: Locate = _nowhere) -> dict[str, TestResult] | None:
    """A layer's results over all its Python versions (:func:`merge_versions`)."""
    runs = read_layer_runs(layer_dir, locate)
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
