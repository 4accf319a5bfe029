"""ci_metrics.tables: frozen dataclasses as TOML tables, every problem listed, no values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, ClassVar

from ci_metrics.tables import Before, Bounds, Check, NotEmpty, Problem, read_table


def _upper(value: str) -> str:
    if value != value.upper():
        raise ValueError("must be upper case")
    return value


@dataclass(frozen=True)
class Inner:
    OTHER_KEYS_ALLOWED: ClassVar[bool] = True

    name: Annotated[str, Check(_upper)]


@dataclass(frozen=True)
class Outer:
    count: Annotated[int, Bounds(ge=1, le=3)] = 1
    ratio: Annotated[float, Bounds(gt=0)] = 0.5
    flag: bool = False
    label: str | None = None
    items: Annotated[list[int], NotEmpty()] = field(default_factory=lambda: [1])
    inner: dict[
        str, Annotated[Inner, Before(lambda v: {"name": v} if isinstance(v, str) else v)]
    ] = field(default_factory=dict)


def test_read_table__values_of_the_declared_types_and_defaults():
    parsed = read_table(
        Outer, {"ratio": 2, "items": [4, 5], "inner": {"a": "X", "b": {"name": "Y", "x": 1}}}
    )
    assert parsed == Outer(ratio=2.0, items=[4, 5], inner={"a": Inner("X"), "b": Inner("Y")})
    assert isinstance(parsed, Outer)
    assert type(parsed.ratio) is float  # an integer is a number, and read as one


def test_read_table__every_problem_in_declaration_order_then_unknown_keys():
    problems = read_table(
        Outer,
        {"zz": 1, "items": [1, "2", True], "count": 9, "flag": 1, "inner": {"a": "x", "b": 3},
         "ratio": 0, "label": 5, "cuont": 2},
    )  # fmt: skip
    assert problems == [
        Problem(("count",), "must be at most 3"),
        Problem(("ratio",), "must be greater than 0"),
        Problem(("flag",), "must be true or false"),
        Problem(("label",), "must be a string"),
        Problem(("items", 1), "must be an integer"),
        Problem(("items", 2), "must be an integer"),
        Problem(("inner", "a", "name"), "must be upper case"),
        Problem(("inner", "b"), "must be a table"),
        Problem(("zz",), "is not a known setting"),
        Problem(("cuont",), "is not a known setting (did you mean count?)"),
    ]


def test_read_table__required_fields_empty_arrays_and_non_tables():
    assert read_table(Outer, {"items": [], "inner": {"a": {}}}) == [
        Problem(("items",), "must not be empty"),
        Problem(("inner", "a", "name"), "is required"),
    ]
    assert read_table(Outer, ["not", "a", "table"]) == [Problem((), "must be a table")]
    assert read_table(Outer, {"count": 1.0, "ratio": "1", "items": "1", "inner": [1]}) == [
        Problem(("count",), "must be an integer"),
        Problem(("ratio",), "must be a number"),
        Problem(("items",), "must be an array"),
        Problem(("inner",), "must be a table"),
    ]


def test_read_table__nan_and_infinity_are_not_numbers_here():
    for value in (float("nan"), float("inf")):
        assert read_table(Outer, {"ratio": value}) == [
            Problem(("ratio",), "must be a finite number")
        ]
