"""trigger: the run's input becomes the trigger node's output (checked against its input_schema)."""

from __future__ import annotations

from typing import Any

import jsonschema

from agentflow.kit.json_schema import linear_validator
from agentflow.nodes.base import NodeBase
from agentflow.nodes.context import NodeContext, NodeResult
from agentflow.nodes.errors import PermanentStepError


def check_input(schema: dict[str, Any] | None, value: Any) -> None:
    """Raise a clear error if `value` does not match the trigger's JSON Schema."""
    if not schema:
        return
    try:
        validator = linear_validator(schema)  # patterns on RE2: anyone who has the webhook URL sends `value`
    except jsonschema.exceptions.SchemaError as exc:
        raise PermanentStepError(f"The trigger's input_schema cannot be used: {exc.message}") from exc
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "input"
        raise PermanentStepError(
            f"The run input does not match the trigger's input_schema at {where}: {error.message}"
        )


class TriggerHandler:
    async def run(self, node: NodeBase, config: dict[str, Any], ctx: NodeContext) -> NodeResult:
        checked = ctx.trigger_input
        if config.get("kind") in ("webhook", "integration") and isinstance(checked, dict):
            checked = checked.get("body")  # a webhook's (or an event's) schema describes the body
        check_input(config.get("input_schema"), checked)
        return NodeResult(output=ctx.trigger_input)
