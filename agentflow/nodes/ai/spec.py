"""ai: its rules (labels for classify, a schema for extract) and output shape per operation."""

from __future__ import annotations

from collections.abc import Set

from agentflow.nodes.ai.model import AiNode
from agentflow.nodes.spec import Finding, NodeSpec, OutputField, output, schema_outputs

# Every AI output carries `usage`; nodes/ai/step.py builds it.
_USAGE = [
    output("output.usage", "object", "Token usage and cost of the call."),
    output("output.usage.input_tokens", "integer", "Prompt tokens."),
    output("output.usage.output_tokens", "integer", "Generated tokens."),
    output("output.usage.cost_usd", "number", "Cost in US dollars."),
    output(
        "output.usage.cost_known",
        "boolean",
        "False when the model has no price in the pricing table (its cost counts as 0).",
    ),
    output("output.usage.model", "string", "Model that answered."),
    output("output.usage.provider", "string", "Provider that answered."),
]
_CLOSED: dict[str, frozenset[str]] = {
    "chat": frozenset({"text", "usage"}),
    "summarize": frozenset({"text", "usage"}),
    "classify": frozenset({"label", "confidence", "usage"}),
}


def _check(node: AiNode, known_env: Set[str] | None) -> list[Finding]:
    config = node.config
    found: list[Finding] = []
    if config.operation == "classify":
        labels = config.labels or []
        if len(labels) < 2:
            found.append(Finding("missing_labels", "config.labels", "classify needs at least two labels"))
        for index, label in enumerate(labels):
            if label in labels[:index]:
                found.append(
                    Finding("duplicate_label", f"config.labels[{index}]", f"label {label!r} repeats")
                )
    elif config.labels:
        found.append(
            Finding("unused_field", "config.labels", "ignored: only classify uses labels", "warning")
        )
    if config.operation == "extract":
        schema = config.output_schema
        if not schema:
            found.append(
                Finding("missing_output_schema", "config.output_schema", "extract needs an output_schema")
            )
        elif schema.get("type", "object") != "object":
            found.append(
                Finding("invalid_output_schema", "config.output_schema", "the schema must describe an object")
            )
    elif config.output_schema:
        found.append(
            Finding("unused_field", "config.output_schema", "ignored: only extract uses it", "warning")
        )
    return found


def _outputs(node: AiNode) -> list[OutputField]:
    operation = node.config.operation
    if operation == "classify":
        fields = [
            output("output.label", "string", "The chosen label."),
            output("output.confidence", "number", "Confidence between 0 and 1."),
        ]
    elif operation == "extract":
        fields = [output("output", "object", "The extracted object.")]
        fields += schema_outputs(node.config.output_schema, "output")
    else:
        fields = [output("output.text", "string", "The model's answer.")]
        if operation == "chat" and node.config.tools:
            fields.append(
                output(
                    "output.tool_calls",
                    "array",
                    "Tool calls the model asked for: `{id, name, arguments, round}`; calls the engine ran "
                    "also carry `result` or `error` and their child `step_key`.",
                )
            )
        if operation == "chat" and node.config.runs_tools():
            fields += [
                output(
                    "output.rounds",
                    "array",
                    "Each model call: `{round, model, provider, input_tokens, output_tokens, cost_usd, "
                    "tool_calls}`.",
                ),
                output(
                    "output.stopped",
                    "string",
                    "Why the loop ended: `answer`, `function_call` or `max_tool_rounds`.",
                ),
            ]
    return [*fields, *(f.model_copy() for f in _USAGE)]


def _closed(node: AiNode) -> frozenset[str] | None:
    keys = _CLOSED.get(node.config.operation)  # extract returns whatever its schema describes
    if keys is not None and node.config.operation == "chat" and node.config.tools:
        keys = keys | {"tool_calls"}
    if keys is not None and node.config.operation == "chat" and node.config.runs_tools():
        keys = keys | {"rounds", "stopped"}
    return keys


SPEC = NodeSpec(
    type="ai",
    model=AiNode,
    label="AI",
    category="ai",
    outputs=_outputs,
    closed_outputs=_closed,
    check=_check,
    handler="agentflow.nodes.ai.handler:AIHandler",
    secret_fields=(("tools", "*", "auth", "secret"),),  # http tools' auth
)
