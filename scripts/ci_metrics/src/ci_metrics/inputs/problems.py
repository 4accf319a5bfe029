"""Every problem of a TOML table read into msgspec structs, each named as it is written.

msgspec's typed decoding (``msgspec.convert(value, type, strict=True)``) checks
a table against its declaration and stops at the first problem. When it fails,
:func:`find_problems` converts the table again part by part (each field of a
struct, each entry of a table, each item of an array), so that one error can
list every problem; the checks themselves are always msgspec's. Its messages
become the wording of the repository's settings errors (``must be an integer``,
``must be at most 100``, ``is not a known setting (did you mean thresholds?)``),
a rule a type cannot say in words comes from the ``description`` of the
value's ``msgspec.Meta`` (``must not be blank``), and no message quotes a value:
a misplaced secret must not reach a log.
"""

from __future__ import annotations

import difflib
import math
import re
import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Union

import msgspec

Location = tuple[str | int, ...]
UNKNOWN_KEY = "is not a known setting"

_TYPE_WORDS = {
    "int": "must be an integer",
    "float": "must be a number",
    "bool": "must be true or false",
    "str": "must be a string",
    "array": "must be an array",
    "object": "must be a table",
}
_BOUND_WORDS = {">=": "at least", ">": "greater than", "<=": "at most", "<": "less than"}
_WRONG_TYPE = re.compile(r"Expected `([^`]+)`, got `[^`]+`")
_BOUND = re.compile(r"Expected `[^`]+` (>=|<=|>|<) (\S+)")
_LENGTH = re.compile(r"Expected `[^`]+` of length (>=|<=) (\d+)")
_FIELD = re.compile(r"Object (missing required|contains unknown) field `([^`]+)`")


@dataclass(frozen=True)
class Problem:
    """One problem: where (keys and array indexes, as written) and what, in words."""

    location: Location
    message: str

    def __str__(self) -> str:
        name = ""
        for part in self.location:
            name += f"[{part}]" if isinstance(part, int) else f".{part}" if name else part
        return f"{name}: {self.message}"


def find_problems(kind: Any, value: object, where: Location = ()) -> list[Problem]:
    """Every problem of ``value`` read as ``kind``, in the order the fields are
    declared (nested tables in place), then the unknown keys as written; ``[]``
    when ``value`` reads."""
    try:
        msgspec.convert(value, kind, strict=True)
    except msgspec.ValidationError as exc:
        return _parts(kind, value, where) or [_translate(str(exc), kind, value, where)]
    return []


def _parts(kind: Any, value: object, where: Location) -> list[Problem]:
    """The problems of ``value``'s parts, when ``kind`` has parts and ``value`` has
    their shape; ``[]`` when the problem is ``value`` as a whole."""
    base = _unwrapped(kind)
    origin = typing.get_origin(base)
    if origin in (Union, types.UnionType):
        member = _member_for(base, value)
        return [] if member is None else find_problems(member, value, where)
    if isinstance(base, type) and issubclass(base, msgspec.Struct) and isinstance(value, dict):
        return _struct_parts(base, value, where)
    if origin is dict and isinstance(value, dict):
        _key, item = typing.get_args(base)
        return [
            p for key, entry in value.items() for p in find_problems(item, entry, (*where, key))
        ]
    if origin in (list, tuple) and isinstance(value, list):
        item = typing.get_args(base)[0]
        return [p for i, entry in enumerate(value) for p in find_problems(item, entry, (*where, i))]
    return []


def _struct_parts(
    kind: type[msgspec.Struct], value: dict[Any, Any], where: Location
) -> list[Problem]:
    fields = {field.encode_name: field for field in msgspec.structs.fields(kind)}
    found = [
        problem
        for name, field in fields.items()
        if name in value
        for problem in find_problems(field.type, value[name], (*where, name))
    ]
    if kind.__struct_config__.forbid_unknown_fields:
        found += [_unknown(str(key), list(fields), where) for key in value if key not in fields]
    return found


def _unknown(key: str, known: list[str], where: Location) -> Problem:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return Problem((*where, key), UNKNOWN_KEY + hint)


def _member_for(union: Any, value: object) -> Any:
    """The member of ``union`` with ``value``'s shape (a table, an array), if any."""
    for member in typing.get_args(union):
        base = _unwrapped(member)
        origin = typing.get_origin(base)
        is_table = origin is dict or (isinstance(base, type) and issubclass(base, msgspec.Struct))
        if (isinstance(value, dict) and is_table) or (
            isinstance(value, list) and origin in (list, tuple)
        ):
            return member
    return None


def _unwrapped(kind: Any) -> Any:
    while typing.get_origin(kind) is Annotated:
        kind = typing.get_args(kind)[0]
    return kind


def _description(kind: Any) -> str | None:
    """The words a ``msgspec.Meta(description=...)`` on ``kind`` gives its rule."""
    if typing.get_origin(kind) is Annotated:
        for meta in reversed(typing.get_args(kind)[1:]):
            if isinstance(meta, msgspec.Meta) and meta.description:
                return meta.description
        return _description(typing.get_args(kind)[0])
    return None


def _translate(error: str, kind: Any, value: object, where: Location) -> Problem:
    """msgspec's message about ``value`` as a problem in the house wording."""
    text = error.split(" - at `", 1)[0]
    described = _description(kind)
    if field := _FIELD.fullmatch(text):
        if field.group(1) == "missing required":
            return Problem((*where, field.group(2)), "is required")
        return _unknown(field.group(2), [], where)
    if isinstance(value, float) and not math.isfinite(value):
        return Problem(where, "must be a finite number")  # TOML can write nan and inf
    if wrong := _WRONG_TYPE.fullmatch(text):
        # One type has its word; a union ("bool | float") is said by its description.
        expected = wrong.group(1).removesuffix(" | null")  # optional: absent is fine too
        words = _TYPE_WORDS.get(expected) or described or "has the wrong type"
        return Problem(where, words)
    if length := _LENGTH.fullmatch(text):
        if length.group(1) == ">=" and length.group(2) == "1":
            return Problem(where, "must not be empty")
        return Problem(
            where, f"must have {_BOUND_WORDS[length.group(1)]} {length.group(2)} entries"
        )
    if bound := _BOUND.fullmatch(text):
        return Problem(where, f"must be {_BOUND_WORDS[bound.group(1)]} {float(bound.group(2)):g}")
    return Problem(where, described or "is not valid here")
