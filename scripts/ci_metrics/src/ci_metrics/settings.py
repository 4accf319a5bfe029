"""Typed settings from ``[tool.ci_metrics]`` in ``pyproject.toml``, declared once, as written.

The table is declared the way it is written, as frozen msgspec structs
(:class:`Settings` and its sub-tables ``thresholds``, ``comment``, ``github``):
a field's type and ``msgspec.Meta`` are its parser, and msgspec's typed decoding
reads it (``strict``: TOML's own types, ``"90"`` is not a number, ``1`` is not
``true``). :func:`parse_settings` raises one :class:`SettingsError` whose one
line lists every problem, each named as written in the TOML
(``thresholds.layers.api``, ``layers.auth[1]``, ``comment.max_chars``), never
quoting a value (:mod:`ci_metrics.inputs.problems`). An unknown key is a
problem, with the closest known one. Command-line flags override fields through
:func:`with_overrides` (``msgspec.structs.replace``).

A layer is written ``api = ["apps/api"]`` (the paths it owns) or as a table of
its own, ``[tool.ci_metrics.layers.api]`` with ``owns = ["apps/api"]``, which the
repository may share with other readers: ci-metrics requires ``owns`` there, reads
``optional`` (a layer whose missing coverage data does not fail the gate) and the
keys ``plan`` needs (``tests``, ``python``, ``shards``), and ignores the table's
other keys (workers, network policy...), which ``plan`` passes through to the job
matrix. A path written with a leading ``!`` is left out of the layer's other paths
(``owns = ["scripts", "!scripts/ci_metrics"]``). A percentage between 0 and 1
(``diff = 0.9``) is refused as a likely fraction. That every owned path names a file
of the work tree is checked where the work tree is known
(:mod:`ci_metrics.inputs.owned_paths`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

from ci_metrics.errors import SettingsError
from ci_metrics.inputs.problems import find_problems
from ci_metrics.inputs.pyproject import read_table
from ci_metrics.render.size import GITHUB_COMMENT_LIMIT

#: The largest finite float: a bound that refuses ``inf``, which TOML can write.
_FINITE = 1.7976931348623157e308
EXCLUDE = "!"

Text = Annotated[str, Meta(pattern=r"\S", description="must not be blank")]
PositiveInt = Annotated[int, Meta(ge=1)]
Seconds = Annotated[float, Meta(gt=0, le=_FINITE)]
#: A minimum percentage, or ``false`` for no gate.
Percent = Annotated[
    Annotated[float, Meta(ge=0, le=100)] | Literal[False],
    Meta(description="must be a percentage from 0 to 100, or false"),
]
When = Annotated[
    Literal["always", "actionable"], Meta(description='must be "always" or "actionable"')
]
OwnedPath = Annotated[
    str,
    Meta(
        pattern=r"^!?/*[^!/]",
        description="must be a path relative to the pyproject.toml, not empty",
    ),
]


Python = Annotated[str, Meta(pattern=r"^\d+\.\d+$", description='must be a version ("3.13")')]


class Layer(Struct, frozen=True):
    """A layer's own table: ``owns``, ``optional``, and what ``plan`` needs to know of a
    layer's jobs (``tests``, ``python``, ``shards``); other keys belong to other readers."""

    owns: tuple[OwnedPath, ...]
    # A layer that may have no coverage data (run on some events only): its missing
    # data does not fail the gate.
    optional: bool = False
    # The layer's test folders: a change under them runs the layer.
    tests: tuple[OwnedPath, ...] = ()
    # The Python versions CI runs the layer on, one job each (and per shard).
    python: tuple[Python, ...] = ()
    shards: PositiveInt = 1


#: A layer as written: its owned paths, or its own table.
LayerEntry = Annotated[
    tuple[OwnedPath, ...] | Layer,
    Meta(description="must be a list of owned paths, or a table with `owns`"),
]


class Thresholds(Struct, frozen=True, forbid_unknown_fields=True):
    """``thresholds``: minimum percentages; ``false`` disables a gate."""

    project_lines: Percent = 90.0
    project_branches: Percent = 85.0
    diff: Percent = 90.0
    layers: dict[str, Percent] = {}
    # Project line coverage may not fall below the base's by more than the baseline's
    # own run-to-run noise (model.noise).
    project_no_drop: bool = True
    # A test that is in none of the baseline's histories and flaked (failed, then passed
    # on a rerun) is its author's to fix.
    new_flaky_tests: bool = True

    def per_layer(self) -> dict[str, float]:
        """The layers' thresholds that gate (``false`` left out)."""
        return {name: value for name, value in self.layers.items() if value is not False}


class Comment(Struct, frozen=True, forbid_unknown_fields=True):
    """``comment``: the sticky comment and the annotations."""

    marker: Text = "ci-metrics"
    author: Text = "github-actions[bot]"
    max_chars: Annotated[int, Meta(ge=1, le=GITHUB_COMMENT_LIMIT)] = GITHUB_COMMENT_LIMIT
    max_annotations: PositiveInt = 10
    # "always": every run comments; "actionable": only a run with something to act on
    # creates a comment, and an existing one is edited down to one all-clear line.
    when: When = "always"

    @property
    def marker_html(self) -> str:
        """The hidden HTML comment that identifies the sticky comment."""
        return f"<!-- {self.marker}:sticky -->"

    @property
    def all_clear_html(self) -> str:
        """The hidden HTML comment of an all-clear body: ``post`` edits, never creates."""
        return f"<!-- {self.marker}:all-clear -->"


class Quarantine(Struct, frozen=True, forbid_unknown_fields=True):
    """``quarantine``: the register of quarantined tests, and the nightly's proposals."""

    register: Text = "docs/quarantine.md"
    # The nightly proposes quarantining a test that flaked this many times in the window...
    add_after_flakes: PositiveInt = 3
    # ...and releasing a quarantined test that did not fail in this many newest runs.
    remove_after_runs: PositiveInt = 10


class GitHub(Struct, frozen=True, forbid_unknown_fields=True):
    """``github``: where the baseline comes from, and how long GitHub calls may take."""

    baseline_workflow: Text = "baseline.yml"
    baseline_artifact: Text = "ci-metrics-baseline"
    # Every GitHub call of one command ends within this many seconds, timeouts and
    # retries included: below the timeout-minutes of the jobs that run it.
    time_limit_seconds: Seconds = 300.0
    request_timeout_seconds: Seconds = 30.0
    # The runs of the default branch whose snapshots pull requests carry layers from.
    snapshot_workflow: Text = "ci.yml"
    snapshot_artifact: Text = "ci-metrics-snapshot"


#: What every layer depends on: a change to any of these runs every layer. A pattern
#: without ``/`` matches a file name at any depth, one with ``/`` the path from the
#: top of the work tree; ``*`` stays inside a folder, ``**`` crosses folders.
SHARED = (
    "uv.lock",
    "pyproject.toml",
    "tox.ini",
    "toxfile.py",
    "pytest.ini",
    ".coveragerc",
    "setup.cfg",
    "conftest.py",
    "tests/utils/**",
    ".github/**",
    ".ci/**",
)
Pattern = Annotated[str, Meta(pattern=r"\S", description="must be a path pattern, not blank")]


class Plan(Struct, frozen=True, forbid_unknown_fields=True):
    """``plan``: which changes run every layer, which run none, how far back a base may be."""

    shared: tuple[Pattern, ...] = SHARED
    # Files no test reads: a change to them alone runs no layer.
    unaffected: tuple[Pattern, ...] = ()
    # How many first-parent commits before the merge base a base snapshot may be.
    max_distance: Annotated[int, Meta(ge=0)] = 20


@dataclass(frozen=True)
class Owned:
    """The paths a layer owns: under one of ``include`` and under none of ``exclude``."""

    include: tuple[str, ...]
    exclude: tuple[str, ...] = ()

    @classmethod
    def written(cls, paths: tuple[str, ...]) -> Owned:
        """From the paths as written (``"apps/api/"``, ``"!apps/api/legacy"``)."""
        include = tuple(p.strip("/") for p in paths if not p.startswith(EXCLUDE))
        exclude = tuple(p[1:].strip("/") for p in paths if p.startswith(EXCLUDE))
        return cls(include, exclude)

    def depth(self, path: str) -> int:
        """The length of the longest owned path ``path`` lies under; -1 if not owned."""
        if any(_under(path, prefix) for prefix in self.exclude):
            return -1
        return max((len(prefix) for prefix in self.include if _under(path, prefix)), default=-1)

    def __contains__(self, path: str) -> bool:
        return self.depth(path) >= 0

    def described(self) -> str:
        """``apps, but not apps/legacy`` for messages; ``none`` when it owns nothing."""
        text = ", ".join(self.include) or "none"
        return f"{text}, but not {', '.join(self.exclude)}" if self.exclude else text


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def _rebased(prefix: str, owned: Owned) -> tuple[str, ...]:
    """``owned`` written again for paths relative to a folder ``prefix`` levels up."""
    return tuple(f"{prefix}{path}".rstrip("/") for path in owned.include) + tuple(
        f"{EXCLUDE}{prefix}{path}".rstrip("/") for path in owned.exclude
    )


class Settings(Struct, frozen=True, forbid_unknown_fields=True, dict=True):
    """``[tool.ci_metrics]``: everything the verbs need to know about the project."""

    # Layer name (its static coverage context) -> the paths its tests own, relative to the
    # top of the git work tree (see under()). Empty means not configured.
    layers: Annotated[dict[str, LayerEntry], Meta(min_length=1)] = {}
    # Data recorded without a layer context counts for this layer.
    default_layer: Text | None = None
    # Soft mode, off by default: changed owned files without coverage data are listed
    # but do not fail the diff gate.
    allow_unmeasured: bool = False
    # Measured files outside the git work tree (data of another project or checkout)
    # are an error unless allowed; allowed, they count in the project's figures.
    allow_outside_worktree: bool = False
    thresholds: Thresholds = Thresholds()
    baseline_window: PositiveInt = 30
    exception_register: Text = "docs/coverage-exceptions.md"
    quarantine: Quarantine = Quarantine()
    comment: Comment = Comment()
    github: GitHub = GitHub()
    plan: Plan = Plan()

    @functools.cached_property
    def owned(self) -> dict[str, Owned]:
        """Each layer's owned paths, in either way of writing them."""
        return {
            name: Owned.written(entry.owns if isinstance(entry, Layer) else entry)
            for name, entry in self.layers.items()
        }

    @property
    def optional_layers(self) -> frozenset[str]:
        """The layers whose coverage data may be missing (``optional = true``)."""
        return frozenset(
            name
            for name, entry in self.layers.items()
            if isinstance(entry, Layer) and entry.optional
        )

    @functools.cached_property
    def tables(self) -> dict[str, Layer]:
        """Each layer as a table (a layer written as a list owns those paths, nothing more)."""
        return {
            name: entry if isinstance(entry, Layer) else Layer(owns=entry)
            for name, entry in self.layers.items()
        }

    def test_paths(self, layer: str) -> Owned:
        """The paths of ``layer``'s tests (``!`` ones left out)."""
        return Owned.written(self.tables[layer].tests)

    def owning_layer(self, path: str) -> str | None:
        """The owner of a changed line in ``path``: the layer with the longest owned prefix.

        Layers may own nested paths (an end-to-end layer owning ``apps`` beside a
        unit layer owning ``apps/api``): the most specific one answers for the line.
        A path a layer excludes (``!``) is not that layer's.
        """
        best: tuple[int, str | None] = (-1, None)
        for layer, owned in self.owned.items():
            depth = owned.depth(path)
            if depth > best[0]:
                best = (depth, layer)
        return best[1]

    def owns(self, layer: str, path: str) -> bool:
        """Whether ``path`` lies under one of the paths ``layer`` owns (nested owners or not)."""
        owned = self.owned.get(layer)
        return owned is not None and path in owned

    def under(self, prefix: str) -> Settings:
        """These settings for a project in the work-tree folder ``prefix`` (``""`` or ``"a/b/"``).

        ``[tool.ci_metrics]`` names owned paths relative to the folder of its
        ``pyproject.toml``; diffs and snapshots name files relative to the work tree.
        """
        if not prefix:
            return self
        layers: dict[str, tuple[str, ...] | Layer] = {
            name: msgspec.structs.replace(
                table,
                owns=_rebased(prefix, Owned.written(table.owns)),
                tests=_rebased(prefix, Owned.written(table.tests)),
            )
            for name, table in self.tables.items()
        }
        return msgspec.structs.replace(self, layers=layers)

    def require_layers(self) -> None:
        """Refuse to judge coverage without knowing the layers and what each owns."""
        if not self.layers:
            raise SettingsError(
                "no layers configured: add `layers = { <layer> = [<owned paths>], ... }` to "
                "[tool.ci_metrics] in pyproject.toml, one entry per static coverage context"
            )


def _layer_paths(entry: object) -> list[object]:
    """The owned paths of a layer as written, before validation (``[]``: unreadable)."""
    paths = entry.get("owns") if isinstance(entry, dict) else entry
    return paths if isinstance(paths, list) else []


def fraction_problem(value: object) -> str | None:
    """``looks like a fraction (did you mean 90?)`` for a percentage written as 0.9."""
    if isinstance(value, float) and 0 < value < 1:
        return f"looks like a fraction (did you mean {value * 100:g}?)"
    return None


def _fractions(thresholds: object) -> list[str]:
    if not isinstance(thresholds, dict):
        return []
    named = [(f"thresholds.{key}", thresholds.get(key)) for key in ("project_lines",
             "project_branches", "diff")]  # fmt: skip
    per_layer = thresholds.get("layers")
    if isinstance(per_layer, dict):
        named += [(f"thresholds.layers.{name}", value) for name, value in per_layer.items()]
    return [f"{where}: {problem}" for where, value in named if (problem := fraction_problem(value))]


def _cross_checks(table: Mapping[str, Any]) -> list[str]:
    """Rules between fields, checked even when other fields are invalid: names that must
    be configured layers, exclusions that must lie under the layer's own paths, and
    percentages that look like fractions (``diff = 0.9``)."""
    layers = table.get("layers")
    layers = layers if isinstance(layers, dict) else {}
    problems = _fractions(table.get("thresholds"))
    default = table.get("default_layer")
    if isinstance(default, str) and default.strip() and default not in layers:
        problems.append("default_layer: is not a configured layer")
    thresholds = table.get("thresholds")
    per_layer = thresholds.get("layers") if isinstance(thresholds, dict) else None
    if isinstance(per_layer, dict):
        problems.extend(
            f"thresholds.layers.{name}: is not a configured layer"
            for name in per_layer
            if name not in layers
        )
    for name, entry in layers.items():
        written = _layer_paths(entry)
        owned = Owned.written(tuple(p for p in written if isinstance(p, str)))
        where = f"layers.{name}" + (".owns" if isinstance(entry, dict) else "")
        problems.extend(
            f"{where}[{index}]: excludes a path the layer does not own"
            for index, path in enumerate(written)
            if isinstance(path, str)
            and path.startswith(EXCLUDE)
            and not any(_under(path[1:].strip("/"), p) for p in owned.include)
        )
    return problems


def parse_settings(table: Mapping[str, Any]) -> Settings:
    """:class:`Settings` from the ``[tool.ci_metrics]`` mapping; one error lists every problem."""
    try:
        settings = msgspec.convert(table, Settings, strict=True)
    except msgspec.ValidationError:
        settings = None
    messages = [] if settings else [str(p) for p in find_problems(Settings, table)]
    messages += _cross_checks(table)
    if messages or settings is None:
        raise SettingsError("invalid [tool.ci_metrics]: " + "; ".join(messages))
    return settings


def load_settings(pyproject: Path) -> Settings:
    """Read ``[tool.ci_metrics]`` from ``pyproject``; a missing file or table means defaults."""
    return parse_settings(read_table(pyproject))


def with_overrides(
    settings: Settings,
    *,
    lines: float | None = None,
    branches: float | None = None,
    diff: float | None = None,
    window: int | None = None,
    register: Path | None = None,
) -> Settings:
    """``settings`` with the command line's overrides (``None``: not given)."""
    given = {"project_lines": lines, "project_branches": branches, "diff": diff}
    fractions = [
        f"--fail-under-{flag.removeprefix('project_')}: {problem}"
        for flag, value in given.items()
        if (problem := fraction_problem(value))
    ]
    if fractions:
        raise SettingsError("; ".join(fractions))
    thresholds = msgspec.structs.replace(
        settings.thresholds, **{name: value for name, value in given.items() if value is not None}
    )
    changes: dict[str, Any] = {"thresholds": thresholds}
    if window:
        changes["baseline_window"] = window
    if register:
        changes["exception_register"] = str(register)
    return msgspec.structs.replace(settings, **changes)
