"""Mutation scores recorded with the nightly baseline (``baseline merge --mutation-scores``).

The input is a JSON document with one entry per mutated module (other keys are
ignored, so a mutation tool's own report can be passed as it is)::

    {"goal": 90, "modules": {"pkg/mod.py": {"mutants": 120, "detected": 114, "score": 95.0}}}

``score`` is the detected share in percent, ``null`` when no mutant was made;
``goal`` (optional) is the score every module should reach; ``failed``
(optional) lists the layers the run could not score,
``[{"layer": "tooling", "reason": "..."}]``: their modules are absent, and the
summary says so (``modules`` may then be empty).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ci_metrics.errors import InputError
from ci_metrics.inputs.fileio import read_json


@dataclass(frozen=True)
class MutationScores:
    """One mutation run: per module its mutants, the detected ones and the score."""

    modules: Mapping[str, Mapping[str, Any]]
    goal: float | None = None
    #: Layers the run could not score, with why.
    failed: Mapping[str, str] = field(default_factory=dict)


def _count(value: Any) -> int | None:
    """``value`` when it is a count (an int, 0 or more), else ``None``."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _percent(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 100


def load_scores(path: Path) -> MutationScores:
    """Read and check a scores file; one :class:`InputError` names every problem."""
    doc = read_json(path, "mutation scores")
    modules = doc.get("modules") if isinstance(doc, dict) else None
    failed, problems = _failed(doc.get("failed", []) if isinstance(doc, dict) else [])
    if not isinstance(modules, dict) or not (modules or failed):
        raise InputError(f"mutation scores {path} are invalid: no 'modules' table")
    kept: dict[str, dict[str, Any]] = {}
    for name, entry in sorted(modules.items()):
        if not isinstance(entry, dict):
            problems.append(f"{name}: not a table")
            continue
        mutants, detected = _count(entry.get("mutants")), _count(entry.get("detected"))
        score = entry.get("score")
        if mutants is None or detected is None or detected > mutants:
            problems.append(f"{name}: mutants and detected must be counts, detected <= mutants")
        elif not (_percent(score) or (score is None and mutants == 0)):
            problems.append(f"{name}: score must be a percentage (null only without mutants)")
        else:
            kept[name] = {"mutants": mutants, "detected": detected, "score": score}
    goal = doc.get("goal")
    if goal is not None and not _percent(goal):
        problems.append("goal: must be a percentage")
    if problems:
        raise InputError(f"mutation scores {path} are invalid: {'; '.join(problems)}")
    return MutationScores(kept, None if goal is None else float(goal), failed)


def _failed(entries: Any) -> tuple[dict[str, str], list[str]]:
    """The ``failed`` list as ``{layer: reason}``, and what is wrong with it."""
    if not isinstance(entries, list):
        return {}, ["failed: must be a list of {layer, reason} tables"]
    failed: dict[str, str] = {}
    for entry in entries:
        layer = entry.get("layer") if isinstance(entry, dict) else None
        reason = entry.get("reason") if isinstance(entry, dict) else None
        if not (isinstance(layer, str) and layer and isinstance(reason, str)):
            return {}, ["failed: must be a list of {layer, reason} tables"]
        failed[layer] = reason
    return failed, []
