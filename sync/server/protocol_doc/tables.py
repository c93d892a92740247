"""Pydantic models as Markdown tables, from their JSON Schema (what `/openapi.json` says too).

One table per model: field, JSON type, whether it is required (else its default), and the
constraints the server checks. A nested model gets its own table once, after the models that
use it. Only what JSON Schema carries is shown; checks made in code (a validator) are in the
model's docstring, which is printed above its table.
"""
from __future__ import annotations

import inspect
import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

Schema = Mapping[str, Any]
_CONSTRAINTS = (
    ("minLength", "length ≥ {}"), ("maxLength", "length ≤ {}"),
    ("minItems", "at least {} items"), ("maxItems", "at most {} items"),
    ("minimum", "≥ {}"), ("maximum", "≤ {}"),
    ("exclusiveMinimum", "> {}"), ("exclusiveMaximum", "< {}"),
    ("pattern", "matches `{}`"), ("format", "format {}"),
)


def models_section(models: Mapping[str, type[BaseModel]], *, heading: str) -> str:
    """A heading, docstring and table per model, then one table per nested model."""
    parts: list[str] = []
    nested: dict[str, Schema] = {}
    for title, model in models.items():
        schema = model.model_json_schema(ref_template="#/$defs/{model}")
        nested.update(schema.get("$defs", {}))
        parts.append(_model_block(f"{heading} {title}", schema, inspect.getdoc(model)))
    for name in sorted(set(nested) - {m.__name__ for m in models.values()}):
        parts.append(_model_block(f"{heading} `{name}` (nested)", nested[name], nested[name].get("description")))
    return "\n\n".join(parts)


def _model_block(title: str, schema: Schema, doc: str | None) -> str:
    lines = [title, ""]
    if doc and not doc.startswith(("Usage docs:", "!!! abstract")):
        lines += [_one_paragraph_per_blank_line(doc), ""]
    lines.append(model_table(schema))
    return "\n".join(lines)


def _one_paragraph_per_blank_line(text: str) -> str:
    paragraphs = [" ".join(chunk.split()) for chunk in text.strip().split("\n\n")]
    return "\n\n".join(paragraphs)


def model_table(schema: Schema) -> str:
    required = set(schema.get("required", ()))
    lines = ["| field | type | required | constraints |", "|---|---|---|---|"]
    for name, prop in schema.get("properties", {}).items():
        needed = "yes" if name in required else _default_text(prop)
        described = prop.get("description", "")
        checks = "; ".join(c for c in (constraints(prop), described) if c) or "–"
        lines.append(f"| `{name}` | {type_text(prop)} | {needed} | {_cell(checks)} |")
    if schema.get("additionalProperties") is False:
        lines.append("")
        lines.append("Any other field is refused.")
    return "\n".join(lines)


def _default_text(prop: Schema) -> str:
    """A default made by a factory (an empty list or object) is not in the schema."""
    if "default" not in prop:
        return "no"
    return f"no, default `{json.dumps(prop['default'], ensure_ascii=False)}`"


def type_text(prop: Schema) -> str:
    """A JSON Schema type as short text: `string`, `"S" | "M"`, `array of Clock`, …"""
    if "$ref" in prop:
        return f"`{prop['$ref'].rsplit('/', 1)[-1]}`"
    if "anyOf" in prop:
        return " or ".join(type_text(option) for option in prop["anyOf"])
    if "enum" in prop:
        return " \\| ".join(f"`{json.dumps(value)}`" for value in prop["enum"])
    if "const" in prop:
        return f"`{json.dumps(prop['const'])}`"
    kind = prop.get("type", "any")
    if kind == "array":
        return _array_text(prop)
    if kind == "object" and isinstance(prop.get("additionalProperties"), dict):
        keys = prop.get("propertyNames", {}).get("enum")
        key_text = " \\| ".join(f"`{json.dumps(k)}`" for k in keys) if keys else "string"
        return f"object: {key_text} → {type_text(prop['additionalProperties'])}"
    return f"{kind}" + (f" ({prop['format']})" if "format" in prop and kind == "string" else "")


def _array_text(prop: Schema) -> str:
    if "prefixItems" in prop:  # a tuple: [index, status, reason]
        return "array [" + ", ".join(type_text(item) for item in prop["prefixItems"]) + "]"
    items = prop.get("items")
    if not items:
        return "array"
    inner = type_text(items)
    item_checks = constraints(items)
    return f"array of {inner}" + (f" ({item_checks})" if item_checks else "")


def constraints(prop: Schema) -> str:
    """The checks JSON Schema states for this value (for `X or null`: those of X)."""
    if "anyOf" in prop:
        return "; ".join(c for c in (constraints(option) for option in prop["anyOf"]) if c)
    found = []
    for key, text in _CONSTRAINTS:
        if key in ("minItems", "maxItems") and "prefixItems" in prop:
            continue  # a tuple: its length is in its type text already
        if key in prop and not (key == "format" and prop.get("type") == "string"):
            found.append(text.format(_number(prop[key])))
    return "; ".join(found)


def _number(value: Any) -> Any:
    """2^63 as itself: the digits of 9223372036854775808 say nothing to a reader."""
    if value == 2**63:
        return "2^63"
    return value


def _cell(text: str) -> str:
    """A table cell: pipes escaped (a regex alternation must not split the row)."""
    return text.replace("|", "\\|").replace("\n", " ")
