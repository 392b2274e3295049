"""One step: render the node's config against what ran before, run its handler."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from agentflow.engine.errors import PermanentStepError
from agentflow.engine.walker import StepScope
from agentflow.graph import Node, TemplateError, build_context, render_node_config
from agentflow.nodes.base import NodeContext, NodeResult
from agentflow.nodes.registry import handler_for


def render_step_input(
    node: Node, scope: StepScope, *, trigger_id: str, env: Mapping[str, str], execution_id: str
) -> dict[str, Any]:
    """The node's config with every `{{…}}` resolved (a failed reference fails the step, clearly)."""
    context = build_context(
        scope.outputs, trigger_id=trigger_id, env=env, loop=scope.loop, execution_id=execution_id
    )
    try:
        return render_node_config(node, context)
    except TemplateError as exc:
        raise PermanentStepError(f"Node {node.id}: {exc}") from exc


async def execute_step(node: Node, config: dict[str, Any], scope: StepScope, base: NodeContext) -> NodeResult:
    """Run the node's handler with the rendered config."""
    ctx = dataclasses.replace(base, run_loop_body=scope.run_loop_body)
    return await handler_for(node.type).run(node, config, ctx)
