"""The versioned JSON snapshot ``collect`` writes and every later verb reads.

Version 2 keeps, per file and layer, the branch destinations that layer's tests
took (``layer_branches``: ``{layer: {line: [destination, ...]}}``), so that the
layers a pull request did not run can be carried from a base snapshot with exact
branch coverage; and, for a snapshot that carries layers, which ones and from
which commit (``carried``). Version 1 is still read, and cannot be carried from.
"""

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
VERSION = 2
#: The versions this code reads (the older ones hold less: see the module's docstring).
READABLE = (1, 2)


@dataclass(frozen=True)
class CarriedLayer:
    """A layer this run did not run: its figures come from the snapshot of ``sha``,
    ``distance`` first-parent commits before the merge base, where its tests passed."""

    sha: str
    run_id: str
    distance: int
    counts: Mapping[str, int]

    def to_json(self) -> dict[str, Any]:
        """The snapshot's entry for the layer."""
        return {
            "sha": self.sha,
            "run_id": self.run_id,
            "distance": self.distance,
            "counts": dict(self.counts),
        }


@dataclass(frozen=True)
class Snapshot:
    """One CI run: coverage per file and layer, test results per layer, tox timings.

    ``tests`` holds one result per test over all the Python versions a layer ran on
    (with why a failed, quarantined or flaky test failed, in the JSON's ``failures``
    table, which snapshots written before it lack); ``python`` what each named
    version did (for layers whose files name versions).
    Layers carried from a base snapshot (``carried``) have coverage in ``files`` but
    no ``tests``: they did not run. ``carry_refused`` says why layers that should
    have been carried were not (the gate fails with it).
    """

    created_at: str
    sha: str
    run_id: str
    files: Mapping[str, Mapping[str, Any]]
    tests: Mapping[str, Mapping[str, TestResult]]
    timing: Mapping[str, EnvTiming]
    branch_data: bool = True
    python: Mapping[str, Mapping[str, VersionOutcome]] = field(default_factory=dict)
    carried: Mapping[str, CarriedLayer] = field(default_factory=dict)
    carry_refused: str = ""
    version: int = VERSION

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
            "carried": {layer: c.to_json() for layer, c in sorted(self.carried.items())},
            "carry_refused": self.carry_refused,
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


def _require(condition: bool, source: str, problem: str) -> None:
    if not condition:
        raise InputError(f"{source} is invalid: {problem}")


def load_snapshot(path: Path) -> Snapshot:
    """Read and validate a snapshot file (of any version in :data:`READABLE`)."""
    return snapshot_from_json(read_json(path, "snapshot"), f"snapshot {path}")


def snapshot_from_json(doc: Any, source: str) -> Snapshot:
    """A snapshot document as a :class:`Snapshot`; an :class:`InputError` that starts with
    ``source`` (what to call the document) says what is wrong with a malformed one."""
    _require(isinstance(doc, dict) and doc.get("schema") == SCHEMA, source, "not a snapshot")
    version = doc.get("version")
    _require(version in READABLE, source, f"unsupported version {version!r}")
    files, tests, timing = doc.get("files"), doc.get("tests"), doc.get("timing", {})
    _require(isinstance(files, dict), source, "'files' must be a table")
    _require(isinstance(tests, dict), source, "'tests' must be a table")
    _require(isinstance(timing, dict), source, "'timing' must be a table")
    required = ("statements", "missing", "layers") + (("layer_branches",) if version >= 2 else ())
    for name, entry in files.items():
        _require(
            isinstance(entry, dict) and set(required) <= set(entry),
            source,
            f"file {name!r} lacks {'/'.join(required)}",
        )
        if version >= 2:
            _require(
                _is_layer_branches(entry["layer_branches"]),
                source,
                f"file {name!r}: 'layer_branches' must map layers to lines to destinations",
            )
    failures = doc.get("failures", {})
    _require(isinstance(failures, dict), source, "'failures' must be a table")
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
        raise InputError(f"{source} is invalid: malformed tests, failures or timing") from None
    parsed_python = _load_python(doc.get("python", {}), source)
    carried = _load_carried(doc.get("carried", {}), source)
    refused = doc.get("carry_refused", "")
    _require(isinstance(refused, str), source, "'carry_refused' must be a string")
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
        carried=carried,
        carry_refused=refused,
        version=int(version),
    )


def _is_layer_branches(table: Any) -> bool:
    return isinstance(table, dict) and all(
        isinstance(lines, dict)
        and all(
            isinstance(dests, list) and all(type(d) is int for d in dests)
            for dests in lines.values()
        )
        for lines in table.values()
    )


def _load_carried(table: Any, source: str) -> dict[str, CarriedLayer]:
    """The carried layers (absent from snapshots that carry none)."""
    problem = "'carried' must map layers to their commit, run, distance and counts"
    _require(isinstance(table, dict), source, problem)
    carried: dict[str, CarriedLayer] = {}
    for layer, entry in table.items():
        counts: Any = entry.get("counts") if isinstance(entry, dict) else None
        _require(
            isinstance(entry, dict)
            and isinstance(entry.get("sha"), str)
            and isinstance(entry.get("run_id"), str)
            and type(entry.get("distance")) is int
            and isinstance(counts, dict)
            and set(counts) <= set(OUTCOMES)
            and all(type(n) is int for n in counts.values()),
            source,
            problem,
        )
        carried[layer] = CarriedLayer(entry["sha"], entry["run_id"], entry["distance"], counts)
    return carried


def _load_python(table: Any, source: str) -> dict[str, dict[str, VersionOutcome]]:
    """The per-version outcomes (absent from snapshots of single-version runs)."""
    problem = "'python' must map layers to versions to counts and failed tests"
    _require(isinstance(table, dict), source, problem)
    parsed: dict[str, dict[str, VersionOutcome]] = {}
    for layer, versions in table.items():
        _require(isinstance(versions, dict), source, problem)
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
                source,
                problem,
            )
            parsed[layer][version] = VersionOutcome(dict(counts), tuple(failed))
    return parsed
