"""Typed settings from ``[tool.ci_metrics]`` in ``pyproject.toml``.

The table is declared once, the way it is written, as frozen dataclasses
(``_Table`` and its sub-tables, read by :mod:`ci_metrics.tables`): a field's
type and bounds are its parser. :func:`parse_settings` validates a table
against them and raises one :class:`SettingsError` that lists every problem
on one line, each named as written in the TOML (``thresholds.layers.api``, ``comment.max_chars``,
``layers.api[0]``) and never quoting a value. An unknown key is a problem, not
ignored. The result is :class:`Settings`, the flat frozen view the verbs use;
command-line flags override its fields through :func:`dataclasses.replace`.

A layer is written ``api = ["apps/api"]`` (the paths it owns) or as a table of
its own, ``[tool.ci_metrics.layers.api]`` with ``owns = ["apps/api"]``, which the
repository may share with other readers: ci-metrics requires ``owns`` there and
ignores the table's other keys (test folders, workers, network policy...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, ClassVar

from ci_metrics.errors import SettingsError
from ci_metrics.pyproject import layer_names
from ci_metrics.pyproject import read_table as read_pyproject_table
from ci_metrics.tables import Before, Bounds, Check, Location, NotEmpty, read_table

GITHUB_COMMENT_LIMIT = 65536
DEFAULT_REGISTER = "docs/coverage-exceptions.md"


def comment_size(text: str) -> int:
    """The length of a comment body in the unit its limit is checked in: UTF-16 code units.

    GitHub says "maximum is 65536 characters" without saying how it counts, and
    reports disagree (code points; 4 bytes per character). UTF-16 code units are
    at least the code points, and 65,536 of them are at most 196,608 UTF-8 bytes,
    so a body within the limit by this count is within it by each reading.
    """
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Thresholds:
    """Minimum percentages; ``None`` disables a gate."""

    project_lines: float | None = 90.0
    project_branches: float | None = 85.0
    diff: float | None = 90.0
    layers: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """Everything the verbs need to know about the project."""

    # Layer name (its static coverage context) -> the paths its tests own, relative to the
    # top of the git work tree (see :meth:`under`). Empty means not configured.
    layers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    default_layer: str | None = None
    # Soft mode, off by default: changed owned files without coverage data are listed
    # but do not fail the diff gate.
    allow_unmeasured: bool = False
    thresholds: Thresholds = field(default_factory=Thresholds)
    baseline_window: int = 30
    register_path: str = DEFAULT_REGISTER
    comment_marker: str = "ci-metrics"
    comment_author: str = "github-actions[bot]"
    max_comment_chars: int = GITHUB_COMMENT_LIMIT
    max_annotations: int = 10
    baseline_workflow: str = "baseline.yml"
    baseline_artifact: str = "ci-metrics-baseline"
    # Every GitHub call of one command ends within this many seconds, timeouts and
    # retries included: below the timeout-minutes of the jobs that run it.
    github_time_limit: float = 300.0
    github_request_timeout: float = 30.0

    def owning_layer(self, path: str) -> str | None:
        """The owner of a changed line in ``path``: the layer with the longest owned prefix.

        Layers may own nested paths (an end-to-end layer owning ``apps`` beside a
        unit layer owning ``apps/api``): the most specific one answers for the line.
        """
        best: tuple[int, str | None] = (-1, None)
        for layer, prefixes in self.layers.items():
            for prefix in prefixes:
                if _under(path, prefix) and len(prefix) > best[0]:
                    best = (len(prefix), layer)
        return best[1]

    def owns(self, layer: str, path: str) -> bool:
        """Whether ``path`` lies under one of the paths ``layer`` owns (nested owners or not)."""
        return any(_under(path, prefix) for prefix in self.layers.get(layer, ()))

    def under(self, prefix: str) -> Settings:
        """These settings for a project in the work-tree folder ``prefix`` (``""`` or ``"a/b/"``).

        ``[tool.ci_metrics]`` names owned paths relative to the folder of its
        ``pyproject.toml``; diffs and snapshots name files relative to the work tree.
        """
        if not prefix:
            return self
        layers = {
            name: tuple(f"{prefix}{path}".rstrip("/") for path in paths)
            for name, paths in self.layers.items()
        }
        return replace(self, layers=layers)

    def require_layers(self) -> None:
        """Refuse to judge coverage without knowing the layers and what each owns."""
        if not self.layers:
            raise SettingsError(
                "no layers configured: add `layers = { <layer> = [<owned paths>], ... }` to "
                "[tool.ci_metrics] in pyproject.toml, one entry per static coverage context"
            )

    @property
    def marker_html(self) -> str:
        """The hidden HTML comment that identifies the sticky comment."""
        return f"<!-- {self.comment_marker}:sticky -->"


def _under(path: str, prefix: str) -> bool:
    prefix = prefix.rstrip("/")
    return path == prefix or path.startswith(prefix + "/")


# -- the table as written ----------------------------------------------------------------
# Declared as frozen dataclasses read by ci_metrics.tables: TOML's own types only
# ("90" is not a number, 1 is not true), no unknown keys, no value in a message.


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _owned_path(value: str) -> str:
    path = value.strip("/")
    if not path.strip():
        raise ValueError("must be a path relative to the pyproject.toml, not empty")
    return path


def _false_is_none(value: object) -> object:
    # `false` switches a gate off; None is not something TOML can say.
    return None if value is False else value


def _short_form(value: object) -> object:
    if isinstance(value, list):
        return {"owns": value}
    if not isinstance(value, dict):
        raise ValueError("must be a list of owned paths, or a table with `owns`")
    return value


Text = Annotated[str, Check(_not_blank)]
PositiveInt = Annotated[int, Bounds(ge=1)]
PositiveNumber = Annotated[float, Bounds(gt=0)]
#: A minimum percentage, or ``false`` for no gate.
Percent = Annotated[float | None, Before(_false_is_none), Bounds(ge=0, le=100)]


@dataclass(frozen=True)
class _Layer:
    """A layer's own table: ``owns`` is ours; other keys belong to other readers."""

    OTHER_KEYS_ALLOWED: ClassVar[bool] = True

    owns: list[Annotated[str, Check(_owned_path)]]


@dataclass(frozen=True)
class _Thresholds:
    project_lines: Percent = Thresholds.project_lines
    project_branches: Percent = Thresholds.project_branches
    diff: Percent = Thresholds.diff
    layers: dict[str, Percent] = field(default_factory=dict)


@dataclass(frozen=True)
class _Comment:
    marker: Text = Settings.comment_marker
    author: Text = Settings.comment_author
    max_chars: Annotated[int, Bounds(ge=1, le=GITHUB_COMMENT_LIMIT)] = GITHUB_COMMENT_LIMIT
    max_annotations: PositiveInt = Settings.max_annotations


@dataclass(frozen=True)
class _GitHub:
    baseline_workflow: Text = Settings.baseline_workflow
    baseline_artifact: Text = Settings.baseline_artifact
    time_limit_seconds: PositiveNumber = Settings.github_time_limit
    request_timeout_seconds: PositiveNumber = Settings.github_request_timeout


@dataclass(frozen=True)
class _Table:
    """``[tool.ci_metrics]``."""

    layers: Annotated[dict[str, Annotated[_Layer, Before(_short_form)]], NotEmpty()] = field(
        default_factory=dict
    )
    default_layer: Text | None = None
    allow_unmeasured: bool = False
    thresholds: _Thresholds = field(default_factory=_Thresholds)
    baseline_window: PositiveInt = Settings.baseline_window
    exception_register: Text = DEFAULT_REGISTER
    comment: _Comment = field(default_factory=_Comment)
    github: _GitHub = field(default_factory=_GitHub)


def _written_name(location: Location, table: Mapping[str, Any]) -> str:
    layers = table.get("layers")
    if (
        location[:1] == ("layers",)
        and location[2:3] == ("owns",)
        and isinstance(layers, dict)
        and isinstance(layers.get(location[1]), list)
    ):
        location = location[:2] + location[3:]  # short form: `api = [...]` has no `owns`
    name = ""
    for part in location:
        name += f"[{part}]" if isinstance(part, int) else f".{part}" if name else str(part)
    return name


def _cross_checks(table: Mapping[str, Any]) -> list[str]:
    """Names that must be configured layers (checked even when other fields are invalid)."""
    layers = set(layer_names(table))
    problems = []
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
    return problems


def parse_settings(table: Mapping[str, Any]) -> Settings:
    """:class:`Settings` from the ``[tool.ci_metrics]`` mapping; one error lists every problem."""
    parsed = read_table(_Table, table)
    problems = [] if isinstance(parsed, _Table) else parsed
    messages = [f"{_written_name(p.location, table)}: {p.message}" for p in problems]
    messages += _cross_checks(table)
    if messages or not isinstance(parsed, _Table):
        raise SettingsError("invalid [tool.ci_metrics]: " + "; ".join(messages))
    thresholds = parsed.thresholds
    return Settings(
        layers={name: tuple(layer.owns) for name, layer in parsed.layers.items()},
        default_layer=parsed.default_layer,
        allow_unmeasured=parsed.allow_unmeasured,
        thresholds=Thresholds(
            project_lines=thresholds.project_lines,
            project_branches=thresholds.project_branches,
            diff=thresholds.diff,
            layers={
                name: percent for name, percent in thresholds.layers.items() if percent is not None
            },
        ),
        baseline_window=parsed.baseline_window,
        register_path=parsed.exception_register,
        comment_marker=parsed.comment.marker,
        comment_author=parsed.comment.author,
        max_comment_chars=parsed.comment.max_chars,
        max_annotations=parsed.comment.max_annotations,
        baseline_workflow=parsed.github.baseline_workflow,
        baseline_artifact=parsed.github.baseline_artifact,
        github_time_limit=parsed.github.time_limit_seconds,
        github_request_timeout=parsed.github.request_timeout_seconds,
    )


def load_settings(pyproject: Path) -> Settings:
    """Read ``[tool.ci_metrics]`` from ``pyproject``; a missing file or table means defaults."""
    return parse_settings(read_pyproject_table(pyproject))
