"""The layer registry: ``[tool.ci_metrics.layers.<name>]`` in ``pyproject.toml``.

Every CI layer is declared there once (see the comment above the tables).
``toxfile.py`` generates the layer tox envs from it (``scripts/layer_envs.py``);
``dev.py``, the layers' pytest plugin (markers, guards and plugins:
``tests/utils/layer_plugins.py``) and ``scripts/mutation.py`` read it through
:func:`load_layers`; what cannot be generated (the workflow matrices,
``.coveragerc``, dependency groups) is checked against it by
``tests/unit/scripts/test_layer_registry.py``.

Standard library only: ``dev.py`` reads it on a bare Python before anything is
installed. ci-metrics reads the same tables for ``owns`` alone and ignores the
other keys; this reader knows every key, and an unknown or malformed one is an
error (one line naming every problem, never a value). An owned path written
with a leading ``!`` leaves that sub-path out of the layer's other owned paths
(``owns = ["scripts", "!scripts/ci_metrics"]``), as both readers agree.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
NETWORK_POLICIES = ("none", "loopback")
UNIT_TESTS = "tests/unit/"
#: A layer split across more jobs than this gains nothing from the balance of
#: pytest-split's durations file (and each job pays for its own set-up).
MAX_SHARDS = 16
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_PYTHON = re.compile(r"^3\.\d{1,2}$")
#: A distribution name as PEP 508 writes it (``pytest-xdist``, ``hypothesis``).
_DISTRIBUTION = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")
_KEYS = frozenset(
    {
        "owns",
        "tests",
        "workers",
        "network",
        "python",
        "redis",
        "shards",
        "plugins",
        "project",
        "optional",
    }
)
_OPTIONAL = frozenset({"python", "redis", "shards", "plugins", "project", "optional"})
EXCLUDE = "!"


class RegistryError(ValueError):
    """The registry is missing or malformed; the message names every problem."""


@dataclass(frozen=True)
class Layer:
    """One CI layer: a tox env, a pytest marker and a coverage context of this name."""

    name: str
    #: The paths whose coverage the layer answers for (without the ``!`` ones)...
    owns: tuple[str, ...]
    tests: tuple[str, ...]
    workers: int
    network: str
    #: The Python versions CI runs the layer on, one job each ("3.11", ...); empty when
    #: the registry names none (this repository's names them for every layer: a test).
    python: tuple[str, ...] = ()
    redis: bool = False
    shards: int = 1
    #: Distributions whose pytest plugins the layer's tests use beyond those pytest.ini
    #: loads for every layer (``hypothesis``); ``tests/utils/layer_plugins.py`` loads them.
    plugins: tuple[str, ...] = ()
    #: False when the layer's env installs its dependency group alone, not the root
    #: project (the services): a layer that tests a distribution of its own.
    project: bool = True
    #: ...but for these sub-paths of them (written ``!path`` in ``owns``).
    excludes: tuple[str, ...] = ()

    def owns_path(self, path: str) -> bool:
        """Whether ``path`` lies under an owned path and under no excluded one."""
        return any(_under(path, p) for p in self.owns) and not any(
            _under(path, p) for p in self.excludes
        )

    @property
    def is_unit(self) -> bool:
        """A unit layer: all its tests live under ``tests/unit/`` (marker ``unit``)."""
        return all(folder.startswith(UNIT_TESTS) for folder in self.tests)


def load_layers(pyproject: Path = PYPROJECT) -> dict[str, Layer]:
    """The layers of ``pyproject``, in the order they are written."""
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RegistryError(f"cannot read {pyproject}: {exc}") from None
    tables = data.get("tool", {}).get("ci_metrics", {}).get("layers")
    if not isinstance(tables, dict) or not tables:
        raise RegistryError(f"{pyproject}: no [tool.ci_metrics.layers.<name>] table")
    return parse_layers(tables)


def parse_layers(tables: Mapping[str, Any]) -> dict[str, Layer]:
    """:class:`Layer` objects from the ``layers`` tables; one error lists every problem."""
    problems: list[str] = []
    layers: dict[str, Layer] = {}
    for name, table in tables.items():
        where = f"layers.{name}"
        if not _NAME.fullmatch(name):
            problems.append(f"{where}: a layer name is lowercase letters, digits and _")
        if not isinstance(table, dict):
            problems.append(f"{where}: must be a table ([tool.ci_metrics.layers.{name}])")
            continue
        found = len(problems)
        problems += [f"{where}.{key}: is not a known key" for key in sorted(set(table) - _KEYS)]
        problems += [
            f"{where}.{key}: is required" for key in sorted(_KEYS - _OPTIONAL - set(table))
        ]
        owns, tests = table.get("owns", []), table.get("tests", [])
        if not _paths(_unbanged(owns), allow_empty=True):
            problems.append(f"{where}.owns: must be an array of paths")
        else:
            problems += _stray_exclusions(owns, f"{where}.owns")
        if not _paths(tests, allow_empty=False):
            problems.append(f"{where}.tests: must be a non-empty array of paths")
        workers = table.get("workers", 0)
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
            problems.append(f"{where}.workers: must be an integer, 0 or more")
        network = table.get("network", "none")
        if network not in NETWORK_POLICIES:
            problems.append(f"{where}.network: must be one of {', '.join(NETWORK_POLICIES)}")
        python = table.get("python")
        if python is not None and not _versions(python):
            problems.append(f'{where}.python: must be a non-empty array of versions ("3.13")')
        redis = table.get("redis", False)
        if not isinstance(redis, bool):
            problems.append(f"{where}.redis: must be true or false")
        shards = table.get("shards", 1)
        if isinstance(shards, bool) or not isinstance(shards, int) or not 1 <= shards <= MAX_SHARDS:
            problems.append(f"{where}.shards: must be an integer from 1 to {MAX_SHARDS}")
        plugins = table.get("plugins", [])
        if not _distributions(plugins):
            problems.append(
                f'{where}.plugins: must be an array of distribution names ("hypothesis")'
            )
        project = table.get("project", True)
        if not isinstance(project, bool):
            problems.append(f"{where}.project: must be true or false")
        # ci-metrics' own key: a layer whose missing coverage data does not fail its gate.
        if not isinstance(table.get("optional", False), bool):
            problems.append(f"{where}.optional: must be true or false")
        if len(problems) == found:
            layers[name] = Layer(
                name=name,
                owns=tuple(path.strip("/") for path in owns if not path.startswith(EXCLUDE)),
                excludes=tuple(path[1:].strip("/") for path in owns if path.startswith(EXCLUDE)),
                tests=tuple(path.strip("/") for path in tests),
                workers=workers,
                network=network,
                python=tuple(python or ()),
                redis=redis,
                shards=shards,
                plugins=tuple(plugins),
                project=project,
            )
    if problems:
        raise RegistryError("invalid layer registry: " + "; ".join(problems))
    return layers


def _versions(value: object) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, str) and _PYTHON.fullmatch(v) for v in value)
        and len(set(value)) == len(value)
    )


def _distributions(value: object) -> bool:
    return (
        isinstance(value, list)
        and all(isinstance(name, str) and _DISTRIBUTION.fullmatch(name) for name in value)
        and len(set(value)) == len(value)
    )


def _paths(value: object, *, allow_empty: bool) -> bool:
    return (
        isinstance(value, list)
        and (allow_empty or bool(value))
        and all(isinstance(path, str) and path.strip("/") for path in value)
    )


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def _stray_exclusions(owns: list[str], where: str) -> list[str]:
    """An excluded path must lie under one of the layer's own paths."""
    included = [p.strip("/") for p in owns if not p.startswith(EXCLUDE)]
    return [
        f"{where}[{index}]: excludes a path the layer does not own"
        for index, path in enumerate(owns)
        if path.startswith(EXCLUDE) and not any(_under(path[1:].strip("/"), p) for p in included)
    ]


def _unbanged(value: object) -> object:
    """Owned paths as written, with the ``!`` of each excluded one taken off."""
    if not isinstance(value, list):
        return value
    return [p.removeprefix(EXCLUDE) if isinstance(p, str) else p for p in value]
