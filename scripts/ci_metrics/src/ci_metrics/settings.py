"""Typed settings from ``[tool.ci_metrics]`` in ``pyproject.toml``.

Every field has one parser; all problems are collected and reported in one
:class:`SettingsError`. Command-line flags override fields through
:func:`dataclasses.replace`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from ci_metrics.errors import SettingsError

T = TypeVar("T")

GITHUB_COMMENT_LIMIT = 65536


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
    register_path: str = "tests/docs/test_framework_upgrades/coverage_exceptions.md"
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
        """The layer whose owned paths contain ``path`` (longest prefix wins)."""
        best: tuple[int, str | None] = (-1, None)
        for layer, prefixes in self.layers.items():
            for prefix in prefixes:
                norm = prefix.rstrip("/")
                if (path == norm or path.startswith(norm + "/")) and len(norm) > best[0]:
                    best = (len(norm), layer)
        return best[1]

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


class _Parser:
    def __init__(self, table: Mapping[str, Any]) -> None:
        self.table = table
        self.problems: list[str] = []

    def get(self, key: str, parse: Callable[[Any], T], default: T) -> T:
        if key not in self.table:
            return default
        try:
            return parse(self.table[key])
        except (TypeError, ValueError) as exc:
            self.problems.append(f"{key}: {exc}")
            return default


def _percent_or_none(value: Any) -> float | None:
    if value is False:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number from 0 to 100 or false, got {value!r}")
    if not 0 <= value <= 100:
        raise ValueError(f"expected a number from 0 to 100, got {value!r}")
    return float(value)


def _positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"expected a positive integer, got {value!r}")
    return value


def _positive_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValueError(f"expected a positive number, got {value!r}")
    return float(value)


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TypeError(f"expected a non-empty string, got {value!r}")
    return value


def _layers(value: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, Mapping) or not value:
        raise TypeError("expected a table of layer = [owned paths]")
    layers: dict[str, tuple[str, ...]] = {}
    for name, paths in value.items():
        if not isinstance(paths, list) or not all(isinstance(p, str) and p for p in paths):
            raise TypeError(f"layer {name!r}: expected a list of paths")
        layers[str(name)] = tuple(p.strip("/") for p in paths)
    return layers


def _layer_thresholds(value: Any) -> dict[str, float]:
    if not isinstance(value, Mapping):
        raise TypeError("expected a table of layer = percent")
    result: dict[str, float] = {}
    for name, percent in value.items():
        parsed = _percent_or_none(percent)
        if parsed is not None:
            result[str(name)] = parsed
    return result


def parse_settings(table: Mapping[str, Any]) -> Settings:
    """Build :class:`Settings` from the ``[tool.ci_metrics]`` mapping."""
    base = Settings()
    parser = _Parser(table)
    known = {
        "layers",
        "default_layer",
        "allow_unmeasured",
        "thresholds",
        "baseline_window",
        "exception_register",
        "comment",
        "github",
    }
    parser.problems.extend(f"{key}: unknown setting" for key in sorted(set(table) - known))
    layers = parser.get("layers", _layers, dict(base.layers))
    empty_table: Mapping[str, Any] = {}
    raw_thresholds = parser.get("thresholds", _mapping, empty_table)
    thr = _Parser(raw_thresholds)
    thresholds = Thresholds(
        project_lines=thr.get("project_lines", _percent_or_none, base.thresholds.project_lines),
        project_branches=thr.get(
            "project_branches", _percent_or_none, base.thresholds.project_branches
        ),
        diff=thr.get("diff", _percent_or_none, base.thresholds.diff),
        layers=thr.get("layers", _layer_thresholds, {}),
    )
    parser.problems.extend(f"thresholds.{p}" for p in thr.problems)
    unknown_layers = sorted(set(thresholds.layers) - set(layers))
    parser.problems.extend(f"thresholds.layers.{n}: not a configured layer" for n in unknown_layers)
    empty: Mapping[str, Any] = {}
    comment = _Parser(parser.get("comment", _mapping, empty))
    github = _Parser(parser.get("github", _mapping, empty))
    settings = Settings(
        layers=layers,
        default_layer=parser.get("default_layer", _text, None),
        allow_unmeasured=parser.get("allow_unmeasured", _boolean, False),
        thresholds=thresholds,
        baseline_window=parser.get("baseline_window", _positive_int, base.baseline_window),
        register_path=parser.get("exception_register", _text, base.register_path),
        comment_marker=comment.get("marker", _text, base.comment_marker),
        comment_author=comment.get("author", _text, base.comment_author),
        max_comment_chars=comment.get("max_chars", _comment_limit, base.max_comment_chars),
        max_annotations=comment.get("max_annotations", _positive_int, base.max_annotations),
        baseline_workflow=github.get("baseline_workflow", _text, base.baseline_workflow),
        baseline_artifact=github.get("baseline_artifact", _text, base.baseline_artifact),
        github_time_limit=github.get(
            "time_limit_seconds", _positive_number, base.github_time_limit
        ),
        github_request_timeout=github.get(
            "request_timeout_seconds", _positive_number, base.github_request_timeout
        ),
    )
    if settings.default_layer is not None and settings.default_layer not in layers:
        parser.problems.append(
            f"default_layer: {settings.default_layer!r} is not a configured layer"
        )
    github_keys = {
        "baseline_workflow",
        "baseline_artifact",
        "time_limit_seconds",
        "request_timeout_seconds",
    }
    github.problems.extend(f"{k}: unknown setting" for k in sorted(set(github.table) - github_keys))
    parser.problems.extend(f"comment.{p}" for p in comment.problems)
    parser.problems.extend(f"github.{p}" for p in github.problems)
    if parser.problems:
        raise SettingsError("invalid [tool.ci_metrics]: " + "; ".join(parser.problems))
    return settings


def _mapping(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError("expected a table")
    return value


def _comment_limit(value: Any) -> int:
    limit = _positive_int(value)
    if limit > GITHUB_COMMENT_LIMIT:
        raise ValueError(f"GitHub accepts at most {GITHUB_COMMENT_LIMIT} characters")
    return limit


def load_settings(pyproject: Path) -> Settings:
    """Read ``[tool.ci_metrics]`` from ``pyproject``; a missing file or table means defaults."""
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{pyproject}: invalid TOML: {exc}") from None
    table = data.get("tool", {}).get("ci_metrics", {})
    return parse_settings(table)
