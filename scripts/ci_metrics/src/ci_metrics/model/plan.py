"""Which layers a change needs: the rules, the plan file and the job matrix it makes.

A layer runs when one of its rules fires for a changed file (renamed files count
under both names, deleted ones too):

* it **owns** the file or holds it among its **tests** (``!`` paths left out);
* its tests **ran** the file at the base (the base snapshot's coverage contexts);
* one of its test modules **imports** the file, directly or through other modules;
* the file is a ``conftest.py`` that applies to its tests (a conftest applies to
  the tests of its folder and below: one that applies to every layer's tests is
  a shared input, whatever the patterns say);

and, whatever changed, when it **failed at the base** (a failed test) or has no
results there. Every layer runs when a **shared** input changed, when a changed
file matches no rule and no ``unaffected`` pattern ("cannot place"), and when
there is no usable base snapshot (:func:`full_plan`). Fail closed: anything the
rules cannot place runs everything, never less. The layers that do not run are
carried from the base snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ci_metrics.errors import InputError
from ci_metrics.model.outcomes import count_outcomes
from ci_metrics.model.patterns import first_match
from ci_metrics.model.snapshot import VERSION, Snapshot
from ci_metrics.settings import Owned, Settings

SCHEMA = "ci-metrics-plan"
PLAN_VERSION = 1
PLAN_FILE = "plan.json"
#: The base snapshot, saved beside the plan for ``collect --carry`` and ``report``.
BASE_SNAPSHOT = "base-snapshot.json"
#: The registry keys ci-metrics reads; a layer's other scalar keys go into its jobs.
LAYER_KEYS = frozenset({"owns", "optional", "tests", "python", "shards"})
_SHOWN = 3


@dataclass(frozen=True)
class Base:
    """Where carried layers come from: the snapshot of ``sha``, ``distance`` first-parent
    commits before the merge base."""

    sha: str
    run_id: str
    merge_base: str
    distance: int

    def describe(self) -> str:
        """``base snapshot: 2 commits before the merge base (`abc1234`, run 42)``."""
        where = (
            "the merge base's own"
            if self.distance == 0
            else f"{self.distance} commit{'s' if self.distance != 1 else ''} before the merge base"
        )
        return f"base snapshot: {where} (`{self.sha[:7]}`, run {self.run_id or 'local'})"


@dataclass(frozen=True)
class Plan:
    """The layers to run, each with the rules that fired (none: carried from ``base``)."""

    rules: Mapping[str, tuple[str, ...]]
    base: Base | None
    #: Why every layer runs ("" when the rules chose).
    full: str = ""
    changed: tuple[str, ...] = ()
    matrix: tuple[Mapping[str, Any], ...] = ()

    @property
    def run(self) -> list[str]:
        """The layers to run, in the registry's order."""
        return [layer for layer, fired in self.rules.items() if fired]

    @property
    def carried(self) -> list[str]:
        """The layers carried from the base snapshot."""
        return [layer for layer, fired in self.rules.items() if not fired]

    def lines(self, base_snapshot: Snapshot | None = None) -> list[str]:
        """One line for the base, and one per layer: the rules that fired, or what is carried."""
        head = [self.base.describe()] if self.base else ["base snapshot: none"]
        if self.base and not self.full:
            count = len(self.changed)
            head.append(
                f"{count} file{'s' if count != 1 else ''} changed since `{self.base.sha[:7]}`"
            )
        if self.full:
            head.append(f"every layer runs: {self.full}")
        out = []
        for layer, fired in self.rules.items():
            if fired:
                out.append(
                    f"{layer}: runs" + (" (every layer)" if self.full else f": {'; '.join(fired)}")
                )
                continue
            sha = self.base.sha[:7] if self.base else "?"
            counts = count_outcomes(base_snapshot.tests.get(layer, {})) if base_snapshot else {}
            shown = ", ".join(f"{n} {outcome}" for outcome, n in counts.items() if n)
            out.append(f"{layer}: carried from `{sha}`" + (f": {shown}" if shown else ""))
        return head + out

    def to_json(self) -> dict[str, Any]:
        """The plan file: what ``collect --carry`` and ``dev.py`` read, and the matrix."""
        base = self.base
        return {
            "schema": SCHEMA,
            "version": PLAN_VERSION,
            "full": self.full,
            "base": None
            if base is None
            else {
                "sha": base.sha,
                "run_id": base.run_id,
                "merge_base": base.merge_base,
                "distance": base.distance,
                "snapshot": BASE_SNAPSHOT,
            },
            "changed": list(self.changed),
            "layers": {
                layer: {"run": bool(fired), "rules": list(fired)}
                for layer, fired in self.rules.items()
            },
            "matrix": {"include": [dict(entry) for entry in self.matrix]},
        }


def read_plan(doc: Any, source: str) -> Plan:
    """A plan file's document as a :class:`Plan`; a malformed one is an :class:`InputError`."""

    def bad(problem: str) -> InputError:
        return InputError(f"{source} is invalid: {problem}")

    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise bad("not a ci-metrics plan")
    if doc.get("version") != PLAN_VERSION:
        raise bad(f"unsupported version {doc.get('version')!r}")
    layers, base, full = doc.get("layers"), doc.get("base"), doc.get("full")
    if not isinstance(layers, dict) or not all(
        isinstance(entry, dict)
        and isinstance(entry.get("run"), bool)
        and isinstance(entry.get("rules"), list)
        and all(isinstance(rule, str) for rule in entry["rules"])
        and entry["run"] == bool(entry["rules"])
        for entry in layers.values()
    ):
        raise bad("'layers' must map each layer to whether it runs and why")
    if not isinstance(full, str):
        raise bad("'full' must be a string")
    parsed_base = None
    if base is not None:
        if not (
            isinstance(base, dict)
            and all(isinstance(base.get(key), str) for key in ("sha", "run_id", "merge_base"))
            and type(base.get("distance")) is int
        ):
            raise bad("'base' must name the commit, run, merge base and distance")
        parsed_base = Base(base["sha"], base["run_id"], base["merge_base"], base["distance"])
    changed = doc.get("changed", [])
    if not isinstance(changed, list) or not all(isinstance(p, str) for p in changed):
        raise bad("'changed' must be a list of paths")
    return Plan(
        rules={layer: tuple(entry["rules"]) for layer, entry in layers.items()},
        base=parsed_base,
        full=full,
        changed=tuple(changed),
    )


def _files(paths: Iterable[str]) -> str:
    shown = sorted(set(paths))
    more = f" and {len(shown) - _SHOWN} more" if len(shown) > _SHOWN else ""
    return ", ".join(f"`{p}`" for p in shown[:_SHOWN]) + more


def full_plan(settings: Settings, reason: str, base: Base | None = None) -> Plan:
    """Every layer runs, for ``reason``."""
    return Plan(rules=dict.fromkeys(settings.layers, (reason,)), base=base, full=reason)


def base_problem(settings: Settings, snapshot: Snapshot, sha: str) -> str | None:
    """Why ``snapshot`` (found for commit ``sha``) cannot be carried from, or ``None``."""
    if snapshot.version < VERSION:
        return f"the base snapshot is version {snapshot.version}, which cannot be carried from"
    if snapshot.sha != sha:
        return f"the base snapshot is of `{snapshot.sha[:7] or '?'}`, not of `{sha[:7]}`"
    known = set(snapshot.tests) | set(snapshot.carried)
    for entry in snapshot.files.values():
        known.update(entry["layers"])
    unknown = [layer for layer in settings.layers if layer not in known]
    if unknown:
        return f"the base snapshot lacks the layer(s) {', '.join(unknown)}"
    return None


@dataclass
class _Fired:
    """The rules that fired for one layer, by kind, with the files that fired them."""

    kinds: dict[str, set[str]] = field(default_factory=dict)
    other: list[str] = field(default_factory=list)

    def add(self, kind: str, path: str) -> None:
        self.kinds.setdefault(kind, set()).add(path)

    def rules(self) -> tuple[str, ...]:
        """One rule per set of files: ``owns `a.py```, or the kinds that fired for the
        same files together (``owns and ran at the base: `a.py```)."""
        groups: dict[frozenset[str], list[str]] = {}
        for kind, paths in self.kinds.items():
            groups.setdefault(frozenset(paths), []).append(kind)
        rules = []
        for files, kinds in groups.items():
            if len(kinds) == 1:
                rules.append(f"{kinds[0]} {_files(files)}")
                continue
            named = [kind.rstrip(":") for kind in kinds]
            rules.append(f"{', '.join(named[:-1])} and {named[-1]}: {_files(files)}")
        return tuple(rules + self.other)


OWNS = "owns"
TESTS = "its tests changed:"
RAN = "ran at the base:"
IMPORTS = "its tests import"
CONFTEST = "a conftest of its tests changed:"


def plan_change(
    settings: Settings,
    changed: Sequence[str],
    base_snapshot: Snapshot,
    base: Base,
    importers: Callable[[str], set[str]],
    unreadable: Sequence[str] = (),
) -> Plan:
    """The layers ``changed`` (work-tree paths) needs, against ``base_snapshot``.

    ``importers(path)`` gives every file that imports ``path``, directly or not;
    ``unreadable`` Python files could not be parsed, so what they import is unknown.
    """
    layers = list(settings.layers)
    tests = {layer: settings.test_paths(layer) for layer in layers}
    scoped = {path: conftest_scope(path, tests) for path in changed}
    shared = [
        p
        for p in changed
        if first_match(p, settings.plan.shared) and len(scoped[p] or layers) == len(layers)
    ]
    if shared:
        return _everything(settings, f"shared input changed: {_files(shared)}", base, changed)
    fired = {layer: _Fired() for layer in layers}
    unplaced = []
    for path in changed:
        hit = False
        for layer in scoped[path] or ():
            fired[layer].add(CONFTEST, path)
            hit = True
        for layer in layers:
            if settings.owns(layer, path):
                fired[layer].add(OWNS, path)
                hit = True
            if path in tests[layer] and scoped[path] is None:
                fired[layer].add(TESTS, path)
                hit = True
        for layer in base_snapshot.files.get(path, {}).get("layers", {}):
            if layer in fired:
                fired[layer].add(RAN, path)
                hit = True
        for importer in importers(path) if path.endswith(".py") else ():
            for layer in layers:
                if importer in tests[layer]:
                    fired[layer].add(IMPORTS, path)
                    hit = True
        if not hit and not first_match(path, settings.plan.unaffected):
            unplaced.append(path)
    if unplaced:
        return _everything(settings, f"cannot place {_files(unplaced)}", base, changed)
    for path in unreadable:
        for layer in layers:
            if path in tests[layer]:
                fired[layer].other.append(f"cannot read the imports of `{path}`")
    for layer in layers:
        results = base_snapshot.tests.get(layer, {})
        failed = sum(r.outcome == "failed" for r in results.values())
        if not results:
            fired[layer].other.append("no results at the base")
        elif failed:
            fired[layer].other.append(f"failed at the base ({failed} failed)")
    return Plan(
        rules={layer: fired[layer].rules() for layer in layers},
        base=base,
        changed=tuple(changed),
    )


def conftest_scope(path: str, tests: Mapping[str, Owned]) -> list[str] | None:
    """The layers a changed ``conftest.py`` applies to, or ``None`` for any other file.

    pytest applies a conftest to the tests in its folder and below it: the layers
    with a test folder there, and a layer whose test folder holds the conftest.
    """
    folder, _sep, name = path.rpartition("/")
    if name != "conftest.py":
        return None
    return [
        layer
        for layer, owned in tests.items()
        if any(not folder or _under(f, folder) or _under(folder, f) for f in owned.include)
    ]


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder + "/")


def _everything(settings: Settings, reason: str, base: Base, changed: Sequence[str]) -> Plan:
    plan = full_plan(settings, reason, base)
    return Plan(rules=plan.rules, base=base, full=reason, changed=tuple(changed))


def job_matrix(
    plan: Plan, settings: Settings, tables: Mapping[str, Any]
) -> tuple[dict[str, Any], ...]:
    """One job per layer to run, Python version and shard, in the registry's order, each
    with the layer's other scalar keys of its table in ``tables`` (workers, redis...)."""
    entries = []
    for layer in plan.run:
        table = settings.tables[layer]
        if not table.python:
            raise InputError(
                f"layers.{layer}: names no `python` versions, so the plan cannot make its jobs"
            )
        raw = tables.get(layer)
        extra = {
            key: value
            for key, value in (raw.items() if isinstance(raw, dict) else ())
            if key not in LAYER_KEYS and isinstance(value, str | int | float | bool)
        }
        for python in table.python:
            for shard in range(1, table.shards + 1):
                job = {"layer": layer, "python": python, "shard": shard, "shards": table.shards}
                entries.append(job | {k: v for k, v in extra.items() if k not in job})
    return tuple(entries)
