"""What each node type is: the builder's palette, output handles, and which config fields are templates."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any, Literal

from pydantic import BaseModel, Field

from agentflow.graph.definition import CONFIG_MODELS, DEFAULT_HANDLE, NODE_MODELS, Node, NodeType
from agentflow.graph.limits import budgeted
from agentflow.graph.nodes import LoopNode, SwitchNode
from agentflow.graph.nodes.base import NOT_TEMPLATED
from agentflow.graph.templating import iter_template_strings, render

Category = Literal["trigger", "ai", "action", "logic", "human", "knowledge"]
ERROR_HANDLE = "error"
LOOP_BODY_HANDLE = "body"
LOOP_DONE_HANDLE = "done"


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


# type → (label, category, static handles)
_PALETTE: dict[str, tuple[str, Category, tuple[str, ...]]] = {
    "trigger": ("Trigger", "trigger", (DEFAULT_HANDLE,)),
    "ai": ("AI", "ai", (DEFAULT_HANDLE,)),
    "action.http": ("HTTP request", "action", (DEFAULT_HANDLE, ERROR_HANDLE)),
    "action.webhook": ("Outgoing webhook", "action", (DEFAULT_HANDLE,)),
    "action.integration": ("Integration", "action", (DEFAULT_HANDLE, ERROR_HANDLE)),
    "logic.if": ("If", "logic", ("true", "false")),
    "logic.switch": ("Switch", "logic", (DEFAULT_HANDLE,)),
    "logic.loop": ("Loop", "logic", (LOOP_BODY_HANDLE, LOOP_DONE_HANDLE)),
    "logic.delay": ("Delay", "logic", (DEFAULT_HANDLE,)),
    "human.approval": ("Approval", "human", ("approved", "rejected")),
    "knowledge.retrieve": ("Knowledge retrieval", "knowledge", (DEFAULT_HANDLE,)),
}


@functools.cache
def _node_types() -> tuple[NodeTypeInfo, ...]:
    infos = []
    for node_type, (label, category, handles) in _PALETTE.items():
        infos.append(
            NodeTypeInfo(
                type=node_type,
                label=label,
                category=category,
                description=(NODE_MODELS[node_type].__doc__ or "").strip(),
                handles=list(handles),
                dynamic_handles=node_type == "logic.switch",
                config_schema=CONFIG_MODELS[node_type].model_json_schema(by_alias=True),
            )
        )
    return tuple(infos)


def node_types() -> list[NodeTypeInfo]:
    """Every node type with label, category, description, handles and config schema, in palette order."""
    return [info.model_copy(deep=True) for info in _node_types()]


def type_handles(node_type: str) -> list[str]:
    """The handles every node of this type has (a switch adds its case names)."""
    return list(_PALETTE[node_type][2])


def output_handles(node: Node) -> list[str]:
    """The node's output handles: `true`/`false` for logic.if, case names + `default` for a switch, …"""
    if isinstance(node, SwitchNode):
        names = list(dict.fromkeys(case.name for case in node.config.cases))
        return [*names, DEFAULT_HANDLE] if DEFAULT_HANDLE not in names else names
    return type_handles(node.type)


def is_loop(node: Node) -> bool:
    """True for logic.loop nodes."""
    return isinstance(node, LoopNode)


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
