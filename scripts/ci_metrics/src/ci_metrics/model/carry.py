"""Carrying layers forward: a run of some layers, completed from a base snapshot.

The plan runs every layer whose tests own, hold, ran at the base or import a
changed file; the others' tests would run now as they ran at the base. So the
combined snapshot is what a run of every layer would have measured:

* a **changed** file keeps this run's data alone, always: its lines and branches
  are measured by the layers that ran (every layer that ran it at the base did);
* an **unchanged** file gets this run's data plus, from the base, each carried
  layer's lines and the branch destinations its tests took, so line and branch
  coverage combine exactly as coverage.py combines data files. Its statements
  and branch exits must be the same in both snapshots: if they are not, the data
  is not of the code at hand, and nothing is carried (:class:`CarryRefused`);
* a carried layer must have passed at the base (results, and no failed test),
  and the base must be of a version that keeps each layer's branches.

Carried layers keep their coverage in ``files`` and their outcome counts and
commit in ``carried``; their tests stay out of ``tests``: they did not run.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from typing import Any

from ci_metrics.errors import InputError
from ci_metrics.model.gates import CARRY_GATE
from ci_metrics.model.lineranges import from_ranges, to_ranges
from ci_metrics.model.outcomes import count_outcomes
from ci_metrics.model.snapshot import VERSION, CarriedLayer, Snapshot

#: What collect and the gate say when carried data was refused.
MISMATCH = f"{CARRY_GATE}: rerun with full: true"


class CarryRefused(InputError):
    """The base snapshot's data cannot be combined with this run's; the message says why."""


def carry_forward(
    fresh: Snapshot,
    base: Snapshot,
    layers: Sequence[str],
    changed: Collection[str],
    distance: int,
) -> Snapshot:
    """``fresh`` with ``layers`` carried from ``base`` (``distance`` commits before the
    merge base); ``changed`` are the work-tree paths the change touched."""
    _check_layers(fresh, base, layers)
    if base.branch_data != fresh.branch_data and fresh.files:
        raise CarryRefused("one of the base snapshot and this run has branch data, the other not")
    changed = set(changed)
    files: dict[str, Mapping[str, Any]] = {}
    for path in sorted(set(fresh.files) | set(base.files)):
        now, then = fresh.files.get(path), base.files.get(path)
        if path in changed or then is None:
            if now is not None:
                files[path] = now
            continue
        if now is None:
            kept = _from_base(then, layers, keep_untouched=not fresh.files)
            if kept is not None:
                files[path] = kept
            continue
        files[path] = _combined(path, now, then, layers)
    carried = {
        layer: CarriedLayer(base.sha, base.run_id, distance, count_outcomes(base.tests[layer]))
        for layer in layers
    }
    return replace(fresh, files=files, carried=carried, carry_refused="")


def _check_layers(fresh: Snapshot, base: Snapshot, layers: Sequence[str]) -> None:
    if layers and base.version < VERSION:
        raise CarryRefused(
            f"the base snapshot is version {base.version}, which keeps no branches per layer"
        )
    ran = set(fresh.tests) | {layer for e in fresh.files.values() for layer in e["layers"]}
    for layer in layers:
        if layer in ran:
            raise CarryRefused(f"{layer} has data of this run too: it cannot also be carried")
        results = base.tests.get(layer)
        if not results:
            raise CarryRefused(f"{layer} has no results at the base: it is never carried")
        failed = sum(r.outcome == "failed" for r in results.values())
        if failed:
            raise CarryRefused(f"{layer} failed at the base ({failed} failed): it is never carried")


def _structure(entry: Mapping[str, Any]) -> tuple[Any, dict[str, int]]:
    """What must not differ for an unchanged file: its statements and branch exits."""
    exits = {line: value[0] for line, value in entry.get("branches", {}).items()}
    return [list(run) for run in entry["statements"]], exits


def _taken(entry: Mapping[str, Any], layers: Sequence[str]) -> dict[str, set[int]]:
    """The branch destinations ``layers`` took, per branch line."""
    taken: dict[str, set[int]] = {}
    for layer in layers:
        for line, ends in entry["layer_branches"].get(layer, {}).items():
            taken.setdefault(line, set()).update(ends)
    return taken


def _lines(entry: Mapping[str, Any], layers: Sequence[str]) -> set[int]:
    lines: set[int] = set()
    for layer in layers:
        lines |= from_ranges(entry["layers"].get(layer, []))
    return lines


def _combined(
    path: str, now: Mapping[str, Any], then: Mapping[str, Any], layers: Sequence[str]
) -> Mapping[str, Any]:
    """An unchanged file's entry: this run's, with the carried layers' lines and branches."""
    if _structure(now) != _structure(then):
        raise CarryRefused(
            f"`{path}` is unchanged, but its statements or branches differ between the base "
            "snapshot and this run"
        )
    lines, taken = _lines(then, layers), _taken(then, layers)
    branches = {
        line: [exits, [end for end in missing if end not in taken.get(line, ())]]
        for line, (exits, missing) in now.get("branches", {}).items()
    }
    return {
        **now,
        "missing": to_ranges(from_ranges(now["missing"]) - lines),
        "branches": branches,
        "layers": {**now["layers"], **_only(then["layers"], layers)},
        "layer_branches": {
            **now.get("layer_branches", {}),
            **_only(then["layer_branches"], layers),
        },
    }


def _from_base(
    then: Mapping[str, Any], layers: Sequence[str], *, keep_untouched: bool
) -> Mapping[str, Any] | None:
    """An unchanged file this run did not report: what the carried layers did in it at the
    base (``None`` when they did nothing there, unless ``keep_untouched``)."""
    lines, taken = _lines(then, layers), _taken(then, layers)
    if not lines and not taken and not keep_untouched:
        return None
    every = _taken(then, list(then["layer_branches"]))
    branches = {}
    for line, (exits, missing) in then.get("branches", {}).items():
        # Every destination but those the carried layers took: the base's missing ones
        # and those only the layers that run now took then.
        ends = set(missing) | every.get(line, set())
        branches[line] = [exits, sorted(ends - taken.get(line, set()))]
    statements = from_ranges(then["statements"])
    return {
        **then,
        "missing": to_ranges(statements - lines),
        "branches": branches,
        "layers": _only(then["layers"], layers),
        "layer_branches": _only(then["layer_branches"], layers),
    }


def _only(table: Mapping[str, Any], layers: Sequence[str]) -> dict[str, Any]:
    return {layer: value for layer, value in table.items() if layer in layers}
