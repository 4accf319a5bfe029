"""The versioned JSON snapshot ``collect`` writes and every later verb reads."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ci_metrics.errors import InputError
from ci_metrics.inputs.fileio import read_json
from ci_metrics.model.failures import Failure
from ci_metrics.model.outcomes import OUTCOMES, EnvTiming, TestResult, VersionOutcome

if TYPE_CHECKING:  # coverage.py is only needed by the collect verb
    from ci_metrics.inputs.coverage_data import FileCoverage

SCHEMA = "ci-metrics-snapshot"
VERSION = 1


@dataclass(frozen=True)
class Snapshot:
    """One CI run: coverage per file and layer, test results per layer, tox timings.

    ``tests`` holds one result per test over all the Python versions a layer ran on
    (with why a failed, quarantined or flaky test failed, in the JSON's ``failures``
    table, which snapshots written before it lack); ``python`` what each named
    version did (for layers whose files name versions).
    """

    created_at: str
    sha: str
    run_id: str
    files: Mapping[str, Mapping[str, Any]]
    tests: Mapping[str, Mapping[str, TestResult]]
    timing: Mapping[str, EnvTiming]
    branch_data: bool = True
    python: Mapping[str, Mapping[str, VersionOutcome]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The JSON document; tests are ``[outcome, seconds, reruns]`` triples to stay small."""
        return {
            "schema": SCHEMA,
            "version": VERSION,
            "created_at": self.created_at,
            "sha": self.sha,
            "run_id": self.run_id,
            "branch_data": self.branch_data,
            "files": dict(self.files),
            "tests": {
                layer: {nid: [r.outcome, r.duration, r.reruns] for nid, r in sorted(res.items())}
                for layer, res in sorted(self.tests.items())
            },
            "failures": {
                layer: {nid: r.failure.to_json() for nid, r in sorted(res.items()) if r.failure}
                for layer, res in sorted(self.tests.items())
                if any(r.failure for r in res.values())
            },
            "timing": {
                layer: {"setup": t.setup, "test": t.test}
                for layer, t in sorted(self.timing.items())
            },
            "python": {
                layer: {
                    version: {"counts": dict(run.counts), "failed": list(run.failed)}
                    for version, run in sorted(versions.items())
                }
                for layer, versions in sorted(self.python.items())
            },
        }


def build_snapshot(
    *,
    files: Iterable[FileCoverage],
    tests: Mapping[str, Mapping[str, TestResult]],
    timing: Mapping[str, EnvTiming],
    now: datetime,
    sha: str,
    run_id: str,
    branch_data: bool = True,
    python: Mapping[str, Mapping[str, VersionOutcome]] | None = None,
) -> Snapshot:
    """Assemble a snapshot from what ``collect`` read."""
    return Snapshot(
        created_at=now.isoformat(timespec="seconds"),
        sha=sha,
        run_id=run_id,
        files={f.path: f.to_json() for f in files},
        tests=tests,
        timing=timing,
        branch_data=branch_data,
        python=python or {},
    )


def _require(condition: bool, path: Path, problem: str) -> None:
    if not condition:
        raise InputError(f"snapshot {path} is invalid: {problem}")


def load_snapshot(path: Path) -> Snapshot:
    """Read and validate a snapshot file."""
    doc = read_json(path, "snapshot")
    _require(isinstance(doc, dict) and doc.get("schema") == SCHEMA, path, "not a snapshot")
    _require(doc.get("version") == VERSION, path, f"unsupported version {doc.get('version')!r}")
    files, tests, timing = doc.get("files"), doc.get("tests"), doc.get("timing", {})
    _require(isinstance(files, dict), path, "'files' must be a table")
    _require(isinstance(tests, dict), path, "'tests' must be a table")
    _require(isinstance(timing, dict), path, "'timing' must be a table")
    for name, entry in files.items():
        _require(
            isinstance(entry, dict) and {"statements", "missing", "layers"} <= set(entry),
            path,
            f"file {name!r} lacks statements/missing/layers",
        )
    failures = doc.get("failures", {})
    _require(isinstance(failures, dict), path, "'failures' must be a table")
    parsed_tests: dict[str, dict[str, TestResult]] = {}
    try:
        for layer, results in tests.items():
            causes = failures.get(layer, {})
            parsed_tests[layer] = {
                nid: TestResult(
                    str(o),
                    float(d),
                    int(r),
                    Failure.from_json(causes[nid]) if nid in causes else None,
                )
                for nid, (o, d, r) in results.items()
            }
        parsed_timing = {
            layer: EnvTiming(float(t["setup"]), float(t["test"])) for layer, t in timing.items()
        }
    except (TypeError, ValueError, KeyError, AttributeError):
        raise InputError(
            f"snapshot {path} is invalid: malformed tests, failures or timing"
        ) from None
    parsed_python = _load_python(doc.get("python", {}), path)
    return Snapshot(
        created_at=str(doc.get("created_at", "")),
        sha=str(doc.get("sha", "")),
        run_id=str(doc.get("run_id", "")),
        files=files,
        tests=parsed_tests,
        timing=parsed_timing,
        # Snapshots written before the flag: branch data shows as recorded branches.
        branch_data=bool(
            doc.get("branch_data", any(entry.get("branches") for entry in files.values()))
        ),
        python=parsed_python,
    )


def _load_python(table: Any, path: Path) -> dict[str, dict[str, VersionOutcome]]:
    """The per-version outcomes (absent from snapshots of single-version runs)."""
    problem = "'python' must map layers to versions to counts and failed tests"
    _require(isinstance(table, dict), path, problem)
    parsed: dict[str, dict[str, VersionOutcome]] = {}
    for layer, versions in table.items():
        _require(isinstance(versions, dict), path, problem)
        parsed[layer] = {}
        for version, run in versions.items():
            counts: Any = run.get("counts") if isinstance(run, dict) else None
            failed: Any = run.get("failed") if isinstance(run, dict) else None
            _require(
                isinstance(counts, dict)
                and set(counts) <= set(OUTCOMES)
                and all(isinstance(n, int) for n in counts.values())
                and isinstance(failed, list)
                and all(isinstance(n, str) for n in failed),
                path,
                problem,
            )
            parsed[layer][version] = VersionOutcome(dict(counts), tuple(failed))
    return parsed
