"""A small JSON Schema checker for the subset the OpenAPI document uses."""

from __future__ import annotations

from typing import Any


def schema_errors(value: Any, schema: dict[str, Any], document: dict[str, Any]) -> list[str]:
    """Why ``value`` does not match ``schema`` ($refs resolved in ``document``); [] if it does."""
    errors: list[str] = []
    _check(value, schema, document, "$", errors)
    return errors


_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "null": type(None),
}


def resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _check(value: Any, schema: dict[str, Any], doc: dict[str, Any], at: str, errors: list[str]):
    schema = resolve(schema, doc)
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        ok = any(
            isinstance(value, _TYPES[name]) and not (name != "boolean" and isinstance(value, bool))
            for name in names
        )
        if not ok:
            errors.append(f"{at}: {value!r} is not of type {names}")
            return
    if "const" in schema and value != schema["const"]:
        errors.append(f"{at}: {value!r} != {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{at}: {value!r} not in {schema['enum']!r}")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            errors.append(f"{at}: shorter than {schema['minLength']}")
        if len(value) > schema.get("maxLength", float("inf")):
            errors.append(f"{at}: longer than {schema['maxLength']}")
    if isinstance(value, int) and not isinstance(value, bool):
        if value < schema.get("minimum", float("-inf")):
            errors.append(f"{at}: below {schema['minimum']}")
        if value > schema.get("maximum", float("inf")):
            errors.append(f"{at}: above {schema['maximum']}")
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                errors.append(f"{at}: missing {name!r}")
        properties = schema.get("properties", {})
        for name, item in value.items():
            if name in properties:
                _check(item, properties[name], doc, f"{at}.{name}", errors)
            elif schema.get("additionalProperties", True) is False:
                errors.append(f"{at}: unexpected property {name!r}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            _check(item, schema["items"], doc, f"{at}[{index}]", errors)
