"""The known shape of each node type's output, from the contract's output column."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from agentflow.graph.definition import Node
from agentflow.graph.nodes import (
    AiNode,
    ApprovalNode,
    DelayNode,
    HttpNode,
    IfNode,
    IntegrationNode,
    LoopNode,
    RetrieveNode,
    SwitchNode,
    TriggerNode,
    WebhookNode,
)

Shape = Literal["string", "number", "integer", "boolean", "object", "array", "any"]
_SCHEMA_DEPTH = 3


class OutputField(BaseModel):
    """One path under a node's `output` with its JSON shape."""

    path: str = Field(description="Path from the node, e.g. `output.label`.")
    shape: Shape = Field(description="JSON type of the value; `any` when unknown.")
    description: str = Field(default="", description="What the value is.")


_USAGE = [
    OutputField(path="output.usage", shape="object", description="Token usage and cost of the call."),
    OutputField(path="output.usage.input_tokens", shape="integer", description="Prompt tokens."),
    OutputField(path="output.usage.output_tokens", shape="integer", description="Generated tokens."),
    OutputField(path="output.usage.cost_usd", shape="number", description="Cost in US dollars."),
    OutputField(
        path="output.usage.cost_known",
        shape="boolean",
        description="False when the model has no price in the pricing table (its cost counts as 0).",
    ),
    OutputField(path="output.usage.model", shape="string", description="Model that answered."),
    OutputField(path="output.usage.provider", shape="string", description="Provider that answered."),
]


def _field(path: str, shape: Shape, description: str = "") -> OutputField:
    return OutputField(path=path, shape=shape, description=description)


def _schema_shape(schema: Any) -> Shape:
    kind = schema.get("type") if isinstance(schema, dict) else None
    if isinstance(kind, list):
        kind = next((item for item in kind if item != "null"), None)
    if kind in ("string", "number", "integer", "boolean", "object", "array"):
        return kind  # type: ignore[no-any-return]
    if isinstance(schema, dict) and "properties" in schema:
        return "object"
    return "any"


def _schema_fields(schema: Any, prefix: str, depth: int = 0) -> list[OutputField]:
    """Fields described by a JSON Schema's `properties`, nested objects included up to a small depth."""
    if not isinstance(schema, dict) or depth >= _SCHEMA_DEPTH:
        return []
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return []
    fields: list[OutputField] = []
    for name, sub in properties.items():
        path = f"{prefix}.{name}"
        description = sub.get("description", "") if isinstance(sub, dict) else ""
        fields.append(_field(path, _schema_shape(sub), str(description)))
        fields.extend(_schema_fields(sub, path, depth + 1))
    return fields


def _trigger_fields(node: TriggerNode) -> list[OutputField]:
    config = node.config
    if config.kind == "webhook":
        return [
            _field("output.body", "object", "Parsed request body."),
            *_schema_fields(config.input_schema, "output.body"),
            _field("output.headers", "object", "Request headers (lower-case names)."),
            _field("output.query", "object", "Query-string parameters."),
        ]
    if config.kind == "schedule":
        return [_field("output.scheduled_at", "string", "ISO time the run was scheduled for.")]
    description = "The event payload." if config.kind == "integration" else "The run input."
    return [_field("output", "object", description), *_schema_fields(config.input_schema, "output")]


def _ai_fields(node: AiNode) -> list[OutputField]:
    operation = node.config.operation
    if operation == "classify":
        fields = [
            _field("output.label", "string", "The chosen label."),
            _field("output.confidence", "number", "Confidence between 0 and 1."),
        ]
    elif operation == "extract":
        fields = [_field("output", "object", "The extracted object.")]
        fields += _schema_fields(node.config.output_schema, "output")
    else:
        fields = [_field("output.text", "string", "The model's answer.")]
        if operation == "chat" and node.config.tools:
            fields.append(
                _field(
                    "output.tool_calls", "array", "Tool calls the model asked for: `{id, name, arguments}`."
                )
            )
    return [*fields, *_USAGE]


_STATIC: dict[type, list[OutputField]] = {
    HttpNode: [
        _field("output.status", "integer", "HTTP status code."),
        _field("output.headers", "object", "Response headers."),
        _field("output.body", "any", "Response body: parsed JSON, else text."),
    ],
    WebhookNode: [_field("output.status", "integer", "HTTP status code of the receiver.")],
    IntegrationNode: [_field("output", "any", "The integration action's result.")],
    IfNode: [_field("output.result", "boolean", "Whether the conditions held.")],
    SwitchNode: [_field("output.matched", "string", "Name of the matched case, or `default`.")],
    LoopNode: [_field("output.results", "array", "One result per item, in order.")],
    DelayNode: [_field("output.waited_seconds", "number", "Seconds actually waited.")],
    RetrieveNode: [
        _field("output.chunks", "array", "Chunks `{content, score, document_id, metadata}`, best first."),
        _field("output.context", "string", "The chunks' content joined, ready for a prompt."),
    ],
}

# Output keys that are certain to be the only ones; a reference to another key is an error.
_CLOSED: dict[type, frozenset[str]] = {
    HttpNode: frozenset({"status", "headers", "body"}),
    WebhookNode: frozenset({"status"}),
    IfNode: frozenset({"result"}),
    SwitchNode: frozenset({"matched"}),
    LoopNode: frozenset({"results"}),
    DelayNode: frozenset({"waited_seconds"}),
    RetrieveNode: frozenset({"chunks", "context"}),
}


_AI_CLOSED: dict[str, frozenset[str]] = {
    "chat": frozenset({"text", "usage"}),
    "summarize": frozenset({"text", "usage"}),
    "classify": frozenset({"label", "confidence", "usage"}),
}


def output_fields(node: Node) -> list[OutputField]:
    """The known paths under the node's output with their shapes."""
    if isinstance(node, TriggerNode):
        return _trigger_fields(node)
    if isinstance(node, AiNode):
        return _ai_fields(node)
    if isinstance(node, ApprovalNode):
        return [
            _field("output.approved", "boolean", "The decision."),
            _field("output.comment", "string", "The approver's comment."),
            _field("output.by", "string", "Who decided (user id, or `timeout`)."),
            _field("output.at", "string", "ISO time of the decision."),
            *_schema_fields(node.config.input_schema, "output"),
        ]
    return [field.model_copy() for field in _STATIC[type(node)]]


def closed_output_keys(node: Node) -> frozenset[str] | None:
    """The only keys the node's output can have, or None when it is open (user data, schemas, results)."""
    if isinstance(node, AiNode):
        keys = _AI_CLOSED.get(node.config.operation)  # extract returns whatever its schema describes
        if keys is not None and node.config.operation == "chat" and node.config.tools:
            keys = keys | {"tool_calls"}
        return keys
    if isinstance(node, TriggerNode):
        if node.config.kind == "webhook":
            return frozenset({"body", "headers", "query"})
        if node.config.kind == "schedule":
            return frozenset({"scheduled_at"})
        return None
    return _CLOSED.get(type(node))
