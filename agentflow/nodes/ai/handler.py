"""ai: the engine's handler for `ai` nodes (chat, summarize, classify, extract) over `AINodeHandler`."""

from __future__ import annotations

import time
from typing import Any

from agentflow.nodes.ai.model import AiConfig
from agentflow.nodes.ai.step import AINodeHandler, StepContext, ToolsContext
from agentflow.nodes.base import NodeBase
from agentflow.nodes.context import NodeContext, NodeResult
from agentflow.nodes.errors import PermanentStepError


class AIHandler:
    """The config arrives rendered (the engine renders every node the same way, secrets masked in records);
    the step's output gains `provider_attempts`, and its tokens and cost go on the step record."""

    def __init__(self) -> None:
        self.handler = AINodeHandler()

    async def run(self, node: NodeBase, config: dict[str, Any], ctx: NodeContext) -> NodeResult:
        if ctx.router is None:
            raise PermanentStepError("AI nodes cannot run here: this worker has no AI router")
        deadline = time.monotonic() + node.timeout_seconds if node.timeout_seconds else None
        step = StepContext(
            org_id=ctx.org_id, router=ctx.router, deadline=deadline, tools=ToolsContext(node, ctx)
        )
        result = await self.handler.run_rendered(AiConfig.model_validate(config), step)
        usage = result.usage
        return NodeResult(
            output={**result.output, "provider_attempts": result.provider_attempts},
            tokens=usage.input_tokens + usage.output_tokens,
            cost_usd=float(usage.cost_usd),
        )
