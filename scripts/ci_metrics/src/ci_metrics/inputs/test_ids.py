"""Whether a test id still names a test, found statically in its file (``ast``).

``tests/x.py::test_y`` needs a module-level (async) function ``test_y`` in
``tests/x.py``; ``tests/x.py::TestZ::test_y`` a class ``TestZ`` whose body (or
the body of a base class defined in the same file) defines ``test_y``. The
parametrization of an id is left out: ``test_y[2]`` is ``test_y``. Nothing is
imported or run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _module(path: Path) -> ast.Module | str:
    """The parsed module, or why it cannot be read."""
    try:
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except FileNotFoundError:
        return "does not exist"
    except (OSError, UnicodeDecodeError):
        return "cannot be read"
    except SyntaxError as exc:
        return f"does not parse (line {exc.lineno})"


def _defined(body: Iterable[ast.stmt]) -> dict[str, ast.stmt]:
    return {node.name: node for node in body if isinstance(node, _DEFINITIONS)}


def _class_members(cls: ast.ClassDef, classes: dict[str, ast.stmt], seen: set[str]) -> set[str]:
    """The names a class defines, with those of its bases defined in the same module."""
    members = set(_defined(cls.body))
    seen.add(cls.name)
    for base in cls.bases:
        parent = classes.get(base.id) if isinstance(base, ast.Name) else None
        if isinstance(parent, ast.ClassDef) and parent.name not in seen:
            members |= _class_members(parent, classes, seen)
    return members


def missing_test(root: Path, file: str, names: tuple[str, ...]) -> str | None:
    """Why ``file::names`` names no test under ``root`` (``None``: it does)."""
    module = _module((root / file).resolve())
    if isinstance(module, str):
        return f"{file} {module}"
    top = _defined(module.body)
    # None: a name a base class defines, found but not walked into.
    node: ast.stmt | None = top.get(names[0])
    if node is None:
        return f"{file} defines no {names[0]}"
    for depth, name in enumerate(names[1:], start=1):
        if not isinstance(node, ast.ClassDef):
            return f"{'::'.join(names[:depth])} in {file} is not a class"
        if name not in _class_members(node, top, set()):
            return f"class {'::'.join(names[:depth])} in {file} defines no {name}"
        node = _defined(node.body).get(name)
    return None
