"""Regenerates the node reference in docs/agent-definition.md from the pydantic models.

Usage: python scripts/gen_node_reference.py [--check]
`--check` writes nothing and exits 1 when the committed reference is out of date.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
import types
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agentflow.graph import (  # noqa: E402 - needs the repository on sys.path first
    CONFIG_MODELS,
    AgentSettings,
    Edge,
    NodeBase,
    Position,
    RetryPolicy,
    node_types,
)
from agentflow.graph.catalog import BY_TYPE  # noqa: E402 - needs the repository on sys.path first

DOC = ROOT / "docs" / "agent-definition.md"
BEGIN = "<!-- BEGIN GENERATED: node reference (scripts/gen_node_reference.py) -->"
END = "<!-- END GENERATED: node reference -->"
_SCALARS = {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null"}


def type_name(annotation: Any) -> str:
    """A Python annotation written the way the JSON document sees it."""
    if annotation is Any:
        return "any"
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"[{annotation.__name__}](#{annotation.__name__.lower()})"
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:  # constraints and union tags say nothing about the JSON type
        return type_name(args[0])
    if origin is Literal:
        return " \\| ".join(f"`{value}`" for value in args)
    if origin in (Union, types.UnionType):
        return " \\| ".join(type_name(arg) for arg in args)
    if origin is list:
        return f"list of {type_name(args[0])}"
    if origin is dict:
        return "object" if args[1] is Any else f"object of {type_name(args[1])}"
    return str(annotation)


def default_text(field: Any) -> str:
    """The default as JSON, or `required`."""
    if field.is_required():
        return "**required**"
    value = field.default_factory() if field.default_factory is not None else field.default
    if value is PydanticUndefined:
        return "**required**"
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", by_alias=True)
    return f"`{json.dumps(value, ensure_ascii=False)}`"


def table(model: type[BaseModel], *, skip: tuple[str, ...] = ()) -> tuple[list[str], list[type[BaseModel]]]:
    """A markdown table of the model's fields, and the nested models it links to."""
    lines = ["| field | type | default | description |", "|---|---|---|---|"]
    nested: list[type[BaseModel]] = []
    for name, field in model.model_fields.items():
        if name in skip:
            continue
        description = (field.description or "").replace("|", "\\|").replace("\n", " ")
        cells = [f"`{field.alias or name}`", type_name(field.annotation), default_text(field), description]
        lines.append(f"| {' | '.join(cells)} |")
        nested.extend(_models_in(field.annotation))
    return lines, nested


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _models_in(arg)]


def section(title: str, model: type[BaseModel], doc: str, *, skip: tuple[str, ...] = ()) -> list[str]:
    """A heading, a sentence and the field table, followed by the tables of nested models."""
    lines, nested = table(model, skip=skip)
    out = [f"#### {title}", "", doc, "", *lines, ""]
    for sub in dict.fromkeys(nested):
        if sub in (RetryPolicy, Position):
            continue
        sub_lines, _ = table(sub)
        out += [f"##### {sub.__name__}", "", inspect.cleandoc(sub.__doc__ or ""), "", *sub_lines, ""]
    return out


def render_reference() -> str:
    """The generated part of docs/agent-definition.md, markers excluded."""
    out = [
        "",
        "### Fields common to every node",
        "",
        *table(NodeBase, skip=("type", "config"))[0],
        "",
        *section("RetryPolicy", RetryPolicy, (RetryPolicy.__doc__ or "").strip()),
        *section("Position", Position, (Position.__doc__ or "").strip()),
        "### Edge",
        "",
        *table(Edge)[0],
        "",
        "### Settings",
        "",
        *table(AgentSettings, skip=("default_retry",))[0],
        f"| `default_retry` | [RetryPolicy](#retrypolicy) \\| null | `null` | "
        f"{AgentSettings.model_fields['default_retry'].description} |",
        "",
    ]
    for info in node_types():
        handles = ", ".join(f"`{handle}`" for handle in info.handles)
        if info.dynamic_handles:
            handles = f"one per case name, then {handles}"
        out += [
            f"### `{info.type}` — {info.label}",
            "",
            f"{info.description}",
            "",
            f"Category: {info.category}. Output handles: {handles}.",
            "",
            *(
                [f"In a test run: {BY_TYPE[info.type].test_preview}", ""]
                if BY_TYPE[info.type].test_preview
                else []
            ),
            *section(
                f"`{info.type}` config",
                CONFIG_MODELS[info.type],
                (CONFIG_MODELS[info.type].__doc__ or "").strip(),
            ),
        ]
    return "\n".join(out)


def updated(text: str) -> str:
    """The document with the generated part replaced."""
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:start] + render_reference() + "\n" + text[end:]


def main() -> int:
    """Rewrite the reference, or with --check report whether it is current."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/agent-definition.md is stale")
    args = parser.parse_args()
    current = DOC.read_text(encoding="utf-8")
    fresh = updated(current)
    if args.check:
        if fresh != current:
            print(f"{DOC.relative_to(ROOT)} is out of date: run python scripts/gen_node_reference.py")
            return 1
        return 0
    DOC.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
