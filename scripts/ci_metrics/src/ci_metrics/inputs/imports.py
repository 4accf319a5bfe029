"""Which files import which: the code's own imports, read with ``ast``.

Every Python file gets the module name Python would give it: its path from the
nearest folder above it that is not a package (no ``__init__.py``), as pytest's
default import mode and a ``src`` layout put that folder on ``sys.path``
(``apps/api/views.py`` is ``apps.api.views``, ``scripts/ci_metrics/src/ci_metrics/cli.py``
is ``ci_metrics.cli``, a distribution's ``tests/support/project.py`` is
``support.project``). An import names a module and every package above it, whose
``__init__.py`` runs first; ``from a import b`` names ``a`` and, when there is
one, the module ``a.b``; relative imports are resolved against the importing
module's package. Every import counts, also one inside a function or under
``if TYPE_CHECKING``: a name two files share is resolved to both. So the graph
can only have more edges than the imports that run, never fewer; imports by
string (``importlib``, ``python -m``, a plugin named in ``pytest.ini``) are not
in it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

INIT = "__init__.py"


def module_name(path: str, known: frozenset[str]) -> str | None:
    """The module name of the Python file ``path`` among the ``known`` files; ``None`` for
    a name Python could not import (a folder or file name that is no identifier)."""
    parts = PurePosixPath(path).parts
    folder = list(parts[:-1])
    names = [] if parts[-1] == INIT else [parts[-1].removesuffix(".py")]
    while folder and "/".join([*folder, INIT]) in known:
        names.insert(0, folder.pop())
    if not names or not all(name.isidentifier() for name in names):
        return None
    return ".".join(names)


def imported_names(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """Every module name ``tree`` (the module ``module``) may import, packages above included."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names.update(_with_packages(alias.name))
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, is_package)
            if base is None:
                continue
            if base:
                names.update(_with_packages(base))
            names.update(f"{base}.{a.name}" if base else a.name for a in node.names)
    return names


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str | None:
    """The absolute module a ``from ... import`` reads from (``""``: the top), or ``None``
    when a relative import climbs above the top package."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    keep = len(package) - (node.level - 1)
    if keep < 1:
        return None
    return ".".join([*package[:keep], *([node.module] if node.module else [])])


def _with_packages(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[: index + 1]) for index in range(len(parts))]


@dataclass
class ImportGraph:
    """Who imports whom: ``imported_by[target]`` holds the files that import it directly;
    ``unreadable`` files could not be parsed (their imports are unknown)."""

    imported_by: dict[str, set[str]] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)

    def importers(self, target: str) -> set[str]:
        """Every file that imports ``target``, directly or through other files."""
        found: set[str] = set()
        todo = [target]
        while todo:
            for importer in self.imported_by.get(todo.pop(), ()):
                if importer not in found:
                    found.add(importer)
                    todo.append(importer)
        found.discard(target)
        return found


def build_graph(sources: Mapping[str, bytes], absent: Iterable[str] = ()) -> ImportGraph:
    """The import graph of ``sources`` (path -> its bytes); ``absent`` files (deleted by the
    change) have no imports of their own, but keep the names others import them by."""
    known = frozenset([*sources, *absent])
    by_name: dict[str, set[str]] = {}
    for path in known:
        name = module_name(path, known)
        if name is not None:
            by_name.setdefault(name, set()).add(path)
    graph = ImportGraph()
    for path, source in sources.items():
        name = module_name(path, known)
        if name is None:
            continue
        try:
            tree = ast.parse(source, filename=path)
        except (SyntaxError, ValueError):
            graph.unreadable.append(path)
            continue
        is_package = PurePosixPath(path).name == INIT
        for imported in imported_names(tree, name, is_package):
            for target in by_name.get(imported, ()):
                if target != path:
                    graph.imported_by.setdefault(target, set()).add(path)
    return graph
