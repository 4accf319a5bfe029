"""Faults to inject into a module: small, deterministic source mutations on executed lines.

Used by ``benchmarks/plan_safety.py``. Each mutant changes one expression or
statement of the module, in place, by replacing the source span of one AST node
with the unparsed mutated node: the rest of the file stays byte for byte, so
the change is what a one-line pull request would be. Mutants are only made on
lines that some layer executed (the snapshot's coverage), since a fault in code
no test runs is caught by no selection at all.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass

_FLIP_COMPARE: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.GtE,
    ast.GtE: ast.Lt,
    ast.Gt: ast.LtE,
    ast.LtE: ast.Gt,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
_FLIP_BINOP: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Add,
}


@dataclass(frozen=True)
class Mutant:
    """One fault: where, what kind, and the whole mutated source."""

    path: str
    line: int
    kind: str
    source: str

    @property
    def name(self) -> str:
        return f"{self.path}:{self.line}:{self.kind}"


def _skipped_nodes(tree: ast.AST) -> set[int]:
    """Nodes a mutation must not touch: docstrings, annotations, f-string parts."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                skipped.update(id(n) for n in ast.walk(body[0]))
        annotations: list[ast.AST | None] = []
        if isinstance(node, ast.AnnAssign):
            annotations.append(node.annotation)
        if isinstance(node, ast.arg):
            annotations.append(node.annotation)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            annotations.append(node.returns)
        if isinstance(node, ast.JoinedStr):
            annotations.append(node)
        for annotation in annotations:
            if annotation is not None:
                skipped.update(id(n) for n in ast.walk(annotation))
    return skipped


def _mutations(node: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    """The mutated copies of ``node``, each with the name of its kind."""
    if isinstance(node, ast.Compare) and type(node.ops[0]) in _FLIP_COMPARE:
        new = copy.deepcopy(node)
        new.ops[0] = _FLIP_COMPARE[type(node.ops[0])]()
        yield "compare", new
    elif isinstance(node, ast.BoolOp):
        new = copy.deepcopy(node)
        new.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        yield "boolop", new
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield "not", copy.deepcopy(node.operand)
    elif isinstance(node, ast.BinOp) and type(node.op) in _FLIP_BINOP:
        new = copy.deepcopy(node)
        new.op = _FLIP_BINOP[type(node.op)]()
        yield "binop", new
    elif isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            yield "bool", ast.Constant(not value)
        elif isinstance(value, int):
            yield "number", ast.Constant(value + 1)
        elif isinstance(value, str) and value:
            yield "string", ast.Constant("XX" + value + "XX")
    elif isinstance(node, ast.Return) and node.value is not None:
        if not (isinstance(node.value, ast.Constant) and node.value.value is None):
            yield "return", ast.Return(ast.Constant(None))
    elif isinstance(node, ast.If):
        new_test = ast.UnaryOp(ast.Not(), copy.deepcopy(node.test))
        yield "condition", new_test


def _span(source_lines: list[str], node: ast.AST) -> tuple[int, int]:
    """The character offsets of ``node`` in the source (as lines joined back)."""
    starts = [0]
    for text in source_lines:
        starts.append(starts[-1] + len(text))

    def offset(line: int, col: int) -> int:
        # ast columns are UTF-8 byte offsets.
        text = source_lines[line - 1]
        return starts[line - 1] + len(text.encode("utf-8")[:col].decode("utf-8", "ignore"))

    return (
        offset(node.lineno, node.col_offset),  # type: ignore[attr-defined]
        offset(node.end_lineno, node.end_col_offset),  # type: ignore[attr-defined]
    )


def mutants(path: str, source: str, executed: set[int]) -> list[Mutant]:
    """Every mutant of ``source`` whose node starts on an executed line."""
    tree = ast.parse(source)
    skipped = _skipped_nodes(tree)
    lines = source.splitlines(keepends=True)
    found: list[Mutant] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", None)
        if line is None or line not in executed or id(node) in skipped:
            continue
        for kind, new in _mutations(node):
            target: ast.AST = node.test if isinstance(node, ast.If) else node
            start, end = _span(lines, target)
            text = ast.unparse(new)
            if kind == "condition":
                text = f"not ({ast.unparse(node.test)})"  # type: ignore[attr-defined]
            mutated = source[:start] + text + source[end:]
            if mutated == source:
                continue
            try:
                ast.parse(mutated)
            except SyntaxError:
                continue
            found.append(Mutant(path, line, kind, mutated))
    return found


def sample(found: list[Mutant], count: int, seed: str) -> list[Mutant]:
    """``count`` of ``found``, the same ones on every run, spread over the kinds and lines."""
    rng = random.Random(hashlib.sha256(seed.encode()).hexdigest())
    shuffled = list(found)
    rng.shuffle(shuffled)
    picked: list[Mutant] = []
    lines: set[int] = set()
    for mutant in shuffled:  # one per line first, then the rest
        if mutant.line not in lines:
            picked.append(mutant)
            lines.add(mutant.line)
    picked += [m for m in shuffled if m not in picked]
    return picked[:count]
