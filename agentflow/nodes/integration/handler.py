"""action.integration: one action of a connected integration, through `ctx.integrations` (bound by the
engine to the run's organization). In test runs side-effecting actions return a preview of their request;
read actions run. Failures are StepErrors, so the `error` handle takes them when it is connected."""

from __future__ import annotations

from typing import Any

from agentflow.nodes.base import NodeBase
from agentflow.nodes.context import NodeContext, NodeResult
from agentflow.nodes.errors import PermanentStepError


class IntegrationHandler:
    async def run(self, node: NodeBase, config: dict[str, Any], ctx: NodeContext) -> NodeResult:
        if ctx.integrations is None:
            raise PermanentStepError("Integrations are not available in this worker", code="not_configured")
        output = await ctx.integrations.run_action(
            ctx.org_id,
            integration=config.get("integration"),
            connection_id=config.get("connection_id") or None,
            action=str(config["action"]),
            params=dict(config.get("params") or {}),
            preview=ctx.preview,
        )
        return NodeResult(output=output)
