"""What each node type is: the builder's palette, output handles, and which config fields are templates."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel, Field

from agentflow.graph.definition import CONFIG_MODELS, DEFAULT_HANDLE, Node, NodeType
from agentflow.nodes.base import ERROR_HANDLE, NOT_TEMPLATED
from agentflow.nodes.logic.model import SwitchNode
from agentflow.nodes.logic.spec import LOOP_BODY_HANDLE, LOOP_DONE_HANDLE
from agentflow.nodes.registry import BY_TYPE, SPECS
from agentflow.nodes.spec import Category
from agentflow.templating import iter_template_strings, render
from agentflow.templating.limits import budgeted

__all__ = ["ERROR_HANDLE", "LOOP_BODY_HANDLE", "LOOP_DONE_HANDLE", "Category", "NodeTypeInfo", "node_types"]


class NodeTypeInfo(BaseModel):
    """One entry of the builder's palette."""

    type: NodeType = Field(description="The node type, as written in `nodes[].type`.")
    label: str = Field(description="Short name shown in the palette.")
    category: Category = Field(description="Palette group.")
    description: str = Field(description="One sentence on what the node does and what it outputs.")
    handles: list[str] = Field(description="Output handles; for `logic.switch`, the case names come first.")
    dynamic_handles: bool = Field(
        default=False, description="True when handles depend on the config (switch case names)."
    )
    config_schema: dict[str, Any] = Field(description="JSON Schema of the node's `config`, for the form.")


@functools.cache
def _node_types() -> tuple[NodeTypeInfo, ...]:
    return tuple(
        NodeTypeInfo(
            type=spec.type,  # type: ignore[arg-type]  # the registry's types are NodeType's values
            label=spec.label,
            category=spec.category,
            description=(spec.model.__doc__ or "").strip(),
            handles=list(spec.handles),
            dynamic_handles=spec.dynamic_handles,
            config_schema=spec.config_model.model_json_schema(by_alias=True),
        )
        for spec in SPECS
    )


def node_types() -> list[NodeTypeInfo]:
    """Every node type with label, category, description, handles and config schema, in palette order."""
    return [info.model_copy(deep=True) for info in _node_types()]


def type_handles(node_type: str) -> list[str]:
    """The handles every node of this type has (a switch adds its case names)."""
    return list(BY_TYPE[node_type].handles)


def output_handles(node: Node) -> list[str]:
    """The node's output handles: `true`/`false` for logic.if, case names + `default` for a switch, …"""
    if isinstance(node, SwitchNode):
        names = list(dict.fromkeys(case.name for case in node.config.cases))
        return [*names, DEFAULT_HANDLE] if DEFAULT_HANDLE not in names else names
    return type_handles(node.type)


@functools.cache
def _untemplated_fields(node_type: str) -> frozenset[str]:
    model = CONFIG_MODELS[node_type]
    return frozenset(
        field.alias or name
        for name, field in model.model_fields.items()
        if isinstance(field.json_schema_extra, Mapping)
        and field.json_schema_extra.get("x-templated") == NOT_TEMPLATED["x-templated"]
    )


def templated_config(node: Node) -> dict[str, Any]:
    """The node's config as JSON data, without fields that hold schemas rather than templates."""
    data = node.config.model_dump(mode="json", by_alias=True)
    skipped = _untemplated_fields(node.type)
    return {key: value for key, value in data.items() if key not in skipped}


def template_strings(node: Node) -> Iterator[tuple[str, str]]:
    """`(field, template)` for each templated string of the node's config, fields like `config.headers.X`."""
    return iter_template_strings(templated_config(node), "config")


def render_node_config(node: Node, context: Mapping[str, Any]) -> dict[str, Any]:
    """The node's config as JSON data with every template rendered (schema fields are left as written).

    All its templates share one budget of loop iterations and CPU time (`limits`).
    """
    data = node.config.model_dump(mode="json", by_alias=True)
    skipped = _untemplated_fields(node.type)
    with budgeted():
        return {key: value if key in skipped else render(value, context) for key, value in data.items()}
