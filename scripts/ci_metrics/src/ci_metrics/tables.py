"""TOML tables declared as frozen dataclasses, read by one collector that lists every problem.

A table is a frozen dataclass; each field's annotation is its parser. The
types are TOML's own and strict (``"90"`` is not a number, ``1`` is not
``true``, an integer is a number, ``nan`` and ``inf`` are not): ``bool``,
``int``, ``float``, ``str``, ``list[T]``, ``dict[str, T]``, ``T | None``
(``None`` only as a default: TOML cannot write it), a nested table (another
such dataclass), and ``Annotated[T, rule, ...]`` with the rules below. A
field without a default is required. A table refuses keys it does not
declare unless it sets ``OTHER_KEYS_ALLOWED`` (a table other readers share).

:func:`read_table` returns the dataclass, or the complete list of
:class:`Problem` s: each with the location of the value as it is written and
the problem in words, never the value itself (a misplaced secret must not reach
a log). Problems come in the order the fields are declared, nested tables in
place, then the unknown keys in the order they are written.

Standard library only: the tool runs in a job that installs nothing else, and
each of its commands is a short process, so importing a validation library
would be most of its start-up.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import functools
import math
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, Union

T = TypeVar("T")
Location = tuple[int | str, ...]


@dataclass(frozen=True)
class Problem:
    """One problem: where (keys and array indexes, as written) and what, in words."""

    location: Location
    message: str


@dataclass(frozen=True)
class Before:
    """A rule applied to the value as written, before its type is checked (e.g. ``false``
    for "no value"). Raises ``ValueError`` with the problem in words."""

    convert: Callable[[Any], Any]


@dataclass(frozen=True)
class Check:
    """A rule applied to the value once its type is right: returns it (or a normalised
    form), or raises ``ValueError`` with the problem in words."""

    check: Callable[[Any], Any]


@dataclass(frozen=True)
class Bounds:
    """Inclusive (``ge``, ``le``) or exclusive (``gt``) bounds of a number."""

    ge: float | None = None
    gt: float | None = None
    le: float | None = None

    def check(self, value: float) -> None:
        if self.gt is not None and not value > self.gt:
            raise ValueError(f"must be greater than {self.gt:g}")
        if self.ge is not None and not value >= self.ge:
            raise ValueError(f"must be at least {self.ge:g}")
        if self.le is not None and not value <= self.le:
            raise ValueError(f"must be at most {self.le:g}")


@dataclass(frozen=True)
class NotEmpty:
    """An array or table with at least one entry."""


_WRONG_TYPE: dict[type, str] = {
    bool: "must be true or false",
    int: "must be an integer",
    float: "must be a number",
    str: "must be a string",
    list: "must be an array",
    dict: "must be a table",
}


class _Invalid(Exception):
    """Raised inside the collector once a value's problems are recorded."""


UNKNOWN_KEY = "is not a known setting"


def read_table(kind: type[T], value: object) -> T | list[Problem]:
    """``value`` (a parsed TOML table) as the dataclass ``kind``, or every problem found."""
    problems: list[Problem] = []
    try:
        return typing.cast(T, _read(kind, value, (), problems))
    except _Invalid:  # raised whenever a problem was recorded
        return problems


@functools.cache
def _hints(kind: type) -> dict[str, Any]:
    return typing.get_type_hints(kind, include_extras=True)


def _read(annotation: Any, value: Any, where: Location, problems: list[Problem]) -> Any:
    """``value`` checked against ``annotation``; raises :class:`_Invalid` once the reason
    it is not one is recorded (the entries of an array or table record theirs and go on)."""
    rules: list[Any] = []
    if typing.get_origin(annotation) is Annotated:
        annotation, *rules = typing.get_args(annotation)
    try:
        for rule in rules:
            if isinstance(rule, Before):
                value = rule.convert(value)
        if typing.get_origin(annotation) in (Union, types.UnionType):
            if value is None:
                return None
            (annotation,) = (a for a in typing.get_args(annotation) if a is not type(None))
            value = _read(annotation, value, where, problems)
        elif dataclasses.is_dataclass(annotation):
            value = _read_dataclass(typing.cast(type, annotation), value, where, problems)
        else:
            value = _read_value(annotation, value, where, problems)
        for rule in rules:
            if isinstance(rule, Bounds):
                rule.check(value)
            elif isinstance(rule, NotEmpty) and not value:
                raise ValueError("must not be empty")
            elif isinstance(rule, Check):
                value = rule.check(value)
    except ValueError as exc:
        problems.append(Problem(where, str(exc)))
        raise _Invalid from None
    return value


def _read_value(annotation: Any, value: object, where: Location, problems: list[Problem]) -> Any:
    origin = typing.get_origin(annotation)
    if origin is list:
        if not isinstance(value, list):
            raise ValueError(_WRONG_TYPE[list])
        (item,) = typing.get_args(annotation)
        return list(_entries(item, enumerate(value), where, problems).values())
    if origin is dict:
        if not isinstance(value, dict):
            raise ValueError(_WRONG_TYPE[dict])
        _key, item = typing.get_args(annotation)
        return _entries(item, value.items(), where, problems)
    # bool is an int to Python, and an int is a number to TOML: neither the other way.
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, annotation) or (annotation is not bool and isinstance(value, bool)):
        raise ValueError(_WRONG_TYPE[annotation])
    if annotation is float and not math.isfinite(value):
        raise ValueError("must be a finite number")  # TOML can write nan and inf
    return value


def _entries(
    annotation: Any, entries: Iterable[tuple[Any, object]], where: Location, problems: list[Problem]
) -> dict[Any, Any]:
    """Every entry read, each recording its own problems; raises :class:`_Invalid` if any."""
    found = len(problems)
    values = {}
    for key, entry in entries:
        with contextlib.suppress(_Invalid):
            values[key] = _read(annotation, entry, (*where, key), problems)
    if len(problems) > found:
        raise _Invalid
    return values


def _read_dataclass(kind: type, value: object, where: Location, problems: list[Problem]) -> Any:
    if not isinstance(value, Mapping):
        raise ValueError(_WRONG_TYPE[dict])
    found = len(problems)
    fields = {field.name: field for field in dataclasses.fields(kind)}
    values = {}
    for name, field in fields.items():
        if name in value:
            with contextlib.suppress(_Invalid):
                values[name] = _read(_hints(kind)[name], value[name], (*where, name), problems)
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            problems.append(Problem((*where, name), "is required"))
    if not getattr(kind, "OTHER_KEYS_ALLOWED", False):
        for key in value:
            if key not in fields:
                close = difflib.get_close_matches(str(key), list(fields), n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                problems.append(Problem((*where, key), UNKNOWN_KEY + hint))
    if len(problems) > found:
        raise _Invalid
    return kind(**values)
